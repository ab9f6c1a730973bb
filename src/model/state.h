// The session state machine of DESIGN §3, in one place. Every status change in the daemon goes
// through Transition(); the manager writes the new status and its event in one transaction.
//
//   pending ─start→ running ─pause→ paused ─resume→ running
//   running ─exit 0→ completed      running|paused ─exit≠0/signal→ failed
//   pending|running|paused ─stop→ cancelled   running|paused ─daemon lost it→ interrupted
//   interrupted ─resume (conversation resume)→ running
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace agentmux {

enum class SessionStatus { kPending, kRunning, kPaused, kCompleted, kFailed, kCancelled, kInterrupted };

enum class SessionAction {
  kStart,      // pending → running
  kPause,      // running → paused
  kResume,     // paused → running; interrupted → running (conversation resume)
  kComplete,   // running → completed (exit 0)
  kFail,       // running|paused → failed
  kStop,       // pending|running|paused → cancelled
  kInterrupt,  // running|paused → interrupted (daemon lost the process)
};

std::string_view ToString(SessionStatus s);
std::string_view ToString(SessionAction a);
std::optional<SessionStatus> ParseSessionStatus(std::string_view text);

// True for completed, failed, cancelled, interrupted: no process runs for the session.
bool IsTerminal(SessionStatus s);

// The status `action` leads to from `from`, or a kConflict error ("illegal_transition") whose
// message names both and says which actions are possible from `from`.
Result<SessionStatus> Transition(SessionStatus from, SessionAction action);

}  // namespace agentmux
