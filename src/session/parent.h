// Parents (DESIGN §8): sessions of kind `plan` (later `mapreduce`) run no process of their own;
// their children (parent_id, position) are agent sessions. The SessionManager stays the one place
// that changes a session — a parent's transitions go through the same Transition() — but what a
// parent's start, pause, resume and stop *mean* is its driver's: the workflow layer (src/workflow)
// implements ParentDriver and registers it with SessionManager::SetParentDriver.
//
// Threading: every method is called on the loop thread, like the manager's.
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "model/session.h"

namespace agentmux {

class ParentDriver {
 public:
  virtual ~ParentDriver() = default;
  // pending → running: begins the first child. Errors: illegal_transition, store_unavailable.
  virtual Result<SessionRecord> Start(const SessionRecord& parent) = 0;
  // running → paused: pauses the running child (SIGSTOP) and holds back the next.
  virtual Result<SessionRecord> Pause(const SessionRecord& parent) = 0;
  // paused → running, or interrupted → running (the interrupted child resumes its conversation).
  virtual Result<SessionRecord> Resume(const SessionRecord& parent) = 0;
  // Stops the running child (its stop ladder with `grace_ms`), cancels the children not begun;
  // the parent becomes cancelled once no child runs.
  virtual Result<SessionRecord> Stop(const SessionRecord& parent, std::optional<int64_t> grace_ms) = 0;
  // After SessionManager::Recover(): settles parents an earlier daemon left running or paused.
  virtual void Recover() = 0;
};

}  // namespace agentmux
