// A session with a process (running or paused), as the manager keeps it: private to the session
// engine's .cc files. Owned by SessionManager::live_; async handlers find it by id.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/adapter.h"
#include "agents/screen.h"
#include "model/session.h"
#include "session/accounting.h"
#include "session/log_sequencer.h"
#include "session/manager.h"
#include "session/supervisor.h"

namespace agentmux {

struct SessionManager::Live {
  Live(SessionRecord r, int64_t last_seq, int64_t bytes) : rec(std::move(r)), log(rec.id, last_seq, bytes) {}

  SessionRecord rec;  // as stored and shown (redacted), with live fields (pid, log_seq, usage …)
  std::unique_ptr<Supervisor> proc;
  LogSequencer log;
  std::unique_ptr<OutputParser> parser;  // null for terminal sessions (and after a parser failure)
  UsageBase usage_base;                  // totals before this run (accounting.h)
  int64_t started_mono = 0;
  std::string stderr_tail;  // the end of stderr, for the adapter's error checks (≤ 8 KiB)
  std::string tmp_dir;      // private TMPDIR, removed at the end ("" = none)
  std::unique_ptr<Timers::Timer> timeout_timer;
  // Stopping: why, and to which end (kStop by a user, kInterrupt at shutdown, kFail on --timeout).
  bool stop_requested = false;
  std::optional<SessionAction> stop_action;
  std::string stop_reason;
  // Finishing (finish.cc): decided once, then recorded — retried while the store cannot write.
  bool finishing = false;
  std::vector<int> escaped;  // pids that had left the process group, killed at the end
  bool final_ready = false;
  bool finish_hooked = false;  // the manager's FinishHook ran
  SessionRecord final_rec;  // the ended session as it will be stored
  std::string final_event;
  nlohmann::json final_payload;
  std::optional<std::string> lost_conversation;
  std::unique_ptr<boost::asio::steady_timer> finish_timer;
  // Attention (attention.cc): the guided TUI's screen, when its adapter reads it.
  std::unique_ptr<TerminalScreen> screen;
  int64_t last_output_mono = 0;
  std::unique_ptr<Timers::Timer> screen_check;
};

}  // namespace agentmux
