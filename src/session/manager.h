// SessionManager: the one way anything changes a session (DESIGN §3) — the coordinator of the
// session engine. It owns the state transitions (each written with its event in one store
// transaction, committed before any client hears of it) and, for every live session, the parts
// that do the work:
//   Supervisor     (supervisor.h)     the process: PTY/pipes, reads, stdin, stop ladder, drain
//   LogSequencer   (log_sequencer.h)  output → numbered chunks, the uncommitted tail
//   OutputParser   (agents/)          the agent's structured output → report and events
//   accounting     (accounting.h)     the report → the session's and conversation's usage
//   conversation   (conversation.h)   continue / retry / resume / fallback
//   SessionBus     (bus.h)            who hears about output, status and events
// Files: manager.cc (create, start, queries), control.cc (pause, resume, stop, continue, retry,
// delete, input), output.cc (output, agent reports, store health), finish.cc (ending, recovery,
// shutdown).
//
// Threading: REQUIRES that every method is called on the thread running `io` (the daemon's event
// loop, its one strand). The store's writer thread reports commits back through `io`; blocking
// work (the /proc scan at a session's end) runs on a thread of the manager's and posts back.
//
// Data path for output: read (≤ 64 KiB) → redacted → LogChunk with the next seq and byte offset →
// store queue (group commit) + in-memory tail of uncommitted chunks + observers. A session ends
// only after its process was reaped, every output fd reached EOF and the final status was
// committed after the last chunk.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agents/adapter.h"
#include "base/duration.h"
#include "base/result.h"
#include "model/session.h"
#include "session/bus.h"
#include "session/launcher.h"
#include "session/parent.h"
#include "session/request.h"
#include "session/supervisor.h"
#include "session/timers.h"
#include "store/store.h"

namespace agentmux {

struct ManagerOptions {
  int64_t default_grace_ms = 10'000;  // stop: SIGTERM → SIGKILL
  int64_t drain_ms = 2'000;           // after the leader exits, how long stray holders of the output may keep it open
  int64_t timeout_grace_ms = 5'000;   // --timeout: SIGTERM → SIGKILL
  size_t max_pending_log_bytes = 64u << 20;  // store queue size at which PTY reads pause (backpressure)
  bool kill_on_destroy = true;        // the destructor SIGKILLs live process groups (tests turn it off to play a crash)
  // Where sessions whose adapter asks for a private TMPDIR (LaunchPlan::private_tmp) get it:
  // <tmp_root>/<session id>, mode 0700, removed when the session ends. "" = no private TMPDIR.
  std::string tmp_root;
  // A shell command run (sh -c, off the loop, 30 s at most) each time a session newly needs
  // attention; it gets the session id and reason as $1 $2 and in AGENTMUX_SESSION_ID,
  // AGENTMUX_SESSION_NAME, AGENTMUX_ATTENTION (input|permission|ended), AGENTMUX_ATTENTION_MESSAGE,
  // AGENTMUX_SESSION_STATUS, AGENTMUX_TOOL, AGENTMUX_PROJECT. "" = none (daemon config.json).
  std::string attention_hook;
  // The engine's OS parts (launcher.h, timers.h), for tests that fake them; null = the real ones
  // (children of this process; the loop's steady clock). Not owned; must outlive the manager.
  ProcessLauncher* launcher = nullptr;
  Timers* timers = nullptr;
};

class SessionManager {
 public:
  SessionManager(boost::asio::io_context& io, Store& store, const AdapterRegistry& adapters,
                 ManagerOptions options = {});
  ~SessionManager();

  // Takes back the sessions an earlier daemon left running or paused whose process is still held
  // (launcher.h Reattach: their shim): they go on as they were, their logs continuing at the next
  // stored seq, with a `reattached` event; one whose agent ended meanwhile ends as it would have.
  // Marks the others interrupted (with an event), after killing what is left of their processes —
  // process groups and setsid escapees alike, matched by AGENTMUX_SESSION_ID in a /proc scan. Lets
  // shims of sessions that already ended go. Cancels pending sessions whose create-and-start a
  // crash cut short (metadata start_requested). Call once at start; when the store cannot write
  // yet it retries every second until it can.
  void Recover();
  // Starts learning of process ends (the launcher's Watch: SIGCHLD on the loop for children). Call
  // once before the first Start().
  void Run();
  // Ends every live session (stop ladder, status interrupted: "daemon shutting down") and waits
  // at most `deadline_ms`; the loop must keep running meanwhile. `done` runs when all are gone.
  void Shutdown(int64_t deadline_ms, std::function<void()> done);
  // A planned restart (shutdown_sessions = keep): every live session stays running. What was read
  // is handed to the store (the redactors' held-back bytes too) and committed before this returns,
  // this daemon's fds are closed, nothing is signalled; the next daemon's Recover() reattaches.
  void Detach();
  // True while session `id` has a process this daemon watches.
  bool IsLive(const std::string& id) const { return live_.count(id) > 0; }

  // Validates and stores a new pending session. Errors: unknown_tool, bad_project_path,
  // unknown_spec / ambiguous_spec / too_many_specs, missing_command, bad_env, bad_command,
  // bad_prompt (NUL bytes), bad_timeout, store_unavailable.
  Result<SessionRecord> Create(CreateRequest request);
  // pending → running: spawns the process. Errors: session_not_found, illegal_transition,
  // binary_not_found (the session stays pending), secret_env_lost / secret_lost (a value kept
  // only in an earlier daemon's memory), spawn failures, store_unavailable.
  Result<SessionRecord> Start(const std::string& id);
  Result<SessionRecord> Pause(const std::string& id);   // SIGSTOP to the process group
  // paused → running: SIGCONT to the process group. interrupted → running: relaunches the agent
  // resuming its conversation (event resumed_conversation). Errors: illegal_transition,
  // no_conversation (the agent never reported a conversation id, or its adapter cannot resume),
  // session_not_running (a record marked running/paused that no process of this daemon backs).
  Result<SessionRecord> Resume(const std::string& id);
  // A new session (parent_id = id, same tool, mode, project, specs and kept env) that resumes the
  // agent's conversation with `prompt`; started at once. Errors: session_not_found, no_conversation,
  // session_running (continue an ended session).
  Result<SessionRecord> Continue(const std::string& id, const std::optional<std::string>& prompt, bool fallback_fresh);
  // A new session with the same fields (parent_id = id), started at once (an ended session).
  Result<SessionRecord> Retry(const std::string& id);
  // pending → cancelled at once; running/paused: SIGTERM (and SIGCONT) to the group, SIGKILL after
  // `grace_ms`. Returns at once; the session becomes cancelled when the process is gone. A record
  // marked running without a process (left by an earlier daemon) is cancelled at once.
  Result<SessionRecord> Stop(const std::string& id, std::optional<int64_t> grace_ms);
  // Deletes a session with its logs and events. Errors: session_running (stop it first).
  Status Delete(const std::string& id);
  // Clears the session's attention (someone looked at it), with an `attention` event {reason: null,
  // acknowledged: true}; a session without attention is returned as it is. Errors:
  // session_not_found, ambiguous_id, store_unavailable.
  Result<SessionRecord> Acknowledge(const std::string& id_or_prefix);

  // ---- parents (DESIGN §8, parent.h) ----
  // The driver of parents of `kind`; Start, Pause, Resume and Stop of such a session go to it.
  // Not owned; must outlive the manager (or be unset with nullptr first).
  void SetParentDriver(SessionKind kind, ParentDriver* driver) { drivers_[kind] = driver; }
  // For drivers: a session with no process (a parent, a pending child) changed by `mutate`,
  // stored and announced. Errors: session_not_found, session_running (it has a process: the
  // manager owns its record), store_unavailable.
  Result<SessionRecord> Update(const std::string& id, const std::function<void(SessionRecord&)>& mutate);
  // For drivers: a parent's status change through the state machine, with its event, written in
  // one transaction and announced (as every transition). Errors: illegal_transition,
  // store_unavailable.
  Result<SessionRecord> TransitionParent(SessionRecord parent, SessionAction action, const std::string& event_type,
                                         nlohmann::json payload);
  // Stores an event of session `id` and tells its observers. Errors: store_unavailable.
  Status RecordEvent(const std::string& id, const std::string& type, nlohmann::json payload);
  // The children of `parent_id` (live fields included), by position, then creation.
  std::vector<SessionRecord> Children(const std::string& parent_id);

  // Called in start (pending → running) just before the process is made, on the loop: it may
  // change the record (its project_path, metadata: a worktree, a checkpoint), which is stored with
  // the start; an error refuses the start (the session stays pending). Null = none.
  using LaunchHook = std::function<Status(SessionRecord&)>;
  void SetLaunchHook(LaunchHook hook) { launch_hook_ = std::move(hook); }
  // Called once when a session has ended — its process reaped, its output drained — just before
  // its end is recorded, on the loop, with the record as it will be stored (status decided); it
  // may add metadata and record events of its own, which come before the final status event.
  using FinishHook = std::function<void(SessionRecord&)>;
  void SetFinishHook(FinishHook hook) { finish_hook_ = std::move(hook); }

  // A create request like `session` (tool, mode, project, specs, prompt, command, env with the
  // sensitive values still in memory, timeout), parent_id = session.id: for a plan's next attempt.
  CreateRequest RequestLike(const SessionRecord& session) const { return LikeParent(session); }

  // `id_or_prefix` → the session (live fields included). Errors: session_not_found, ambiguous_id.
  Result<SessionRecord> Get(const std::string& id_or_prefix);
  std::vector<SessionRecord> List(const SessionFilter& filter);
  // Chunks with seq > after_seq, from the store and, for a live session, the uncommitted tail, so a
  // reader never sees a gap. At most `max_chunks` / about `max_bytes`.
  std::vector<LogChunkPtr> ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks, size_t max_bytes);
  int64_t TailStartSeq(const std::string& id, int64_t lines);
  std::vector<EventRecord> Events(const std::string& id, int64_t after_id, int limit);

  // Writes bytes to a PTY session's terminal (attach). Errors: session_not_running, not_a_terminal.
  Status WriteInput(const std::string& id, const std::string& bytes);
  Status Resize(const std::string& id, unsigned short cols, unsigned short rows);

  // Subscriptions (bus.h): handles that unregister themselves.
  [[nodiscard]] ObserverHandle Observe(const std::string& id, SessionObserver* observer) { return bus_.Observe(id, observer); }
  [[nodiscard]] ObserverHandle Watch(SessionObserver* watcher) { return bus_.Watch(watcher); }

  size_t live_count() const { return live_.size(); }
  const AdapterRegistry& adapters() const { return adapters_; }
  Store& store() { return store_; }
  // PATH agent processes see (the daemon's).
  std::string path_env() const;

 private:
  struct Live;

  // manager.cc
  Result<SessionRecord> Launch(SessionRecord rec, SessionAction action, const std::string& event_type);
  Result<SessionRecord> ApplyTransition(SessionRecord& rec, SessionAction action, const std::string& event_type,
                                        nlohmann::json payload);
  Result<SessionRecord> Unredact(const SessionRecord& rec) const;
  EnvMap BuildEnv(const SessionRecord& rec, const LaunchPlan& plan) const;
  void StartTimeout(Live& live, int64_t timeout_ms);
  SupervisorHooks HooksFor(const std::string& id);
  // finish.cc: a session whose process a shim kept for us → live again.
  void Adopt(SessionRecord rec, ProcessLauncher::Reattached held);
  void OnProcessExit(pid_t pid, int wait_status);
  void Notify(const SessionRecord& rec) { bus_.Status(rec); }
  void PublishEvents(const std::string& id, int64_t after_event_id);
  // control.cc
  CreateRequest LikeParent(const SessionRecord& parent) const;
  void BeginStop(Live& live, SessionAction action, const std::string& reason, int64_t grace_ms);
  void HandleLostConversation(const SessionRecord& rec, const std::string& agent_message);
  // output.cc
  void OnOutput(Live& live, const std::string& level, std::string data);
  void DrainAgentEvents(Live& live);
  void ApplyReport(Live& live);
  void ParserFailed(Live& live, const std::string& what);
  void OnCommitted(std::vector<std::pair<std::string, int64_t>> committed);
  void OnStoreHealth(bool writable, const std::string& health);
  // attention.cc
  void InitScreen(Live& live, unsigned short cols, unsigned short rows);
  void WatchScreen(Live& live, const std::string& data);
  void CheckScreen(Live& live);
  void SetLiveAttention(Live& live, std::optional<Attention> attention);
  static nlohmann::json AttentionPayload(const std::optional<Attention>& attention);
  bool WantsEndedAttention(const SessionRecord& rec) const;
  void RunAttentionHook(const SessionRecord& rec);
  // finish.cc — the process is gone and its output drained: kill what left its group (off the
  // loop), then DecideFinish (the final status, event and payload, once) and Finish (records them;
  // retried while the store cannot write).
  void BeginFinish(Live& live);
  void DecideFinish(Live& live);
  void Finish(Live& live);

  boost::asio::io_context& io_;
  Store& store_;
  const AdapterRegistry& adapters_;
  ManagerOptions options_;
  std::unique_ptr<ProcessLauncher> own_launcher_;
  std::unique_ptr<Timers> own_timers_;
  ProcessLauncher& launcher_;
  Timers& timers_;
  std::map<std::string, std::unique_ptr<Live>> live_;
  std::map<SessionKind, ParentDriver*> drivers_;
  LaunchHook launch_hook_;
  FinishHook finish_hook_;
  ParentDriver* DriverOf(const SessionRecord& rec) const;
  SessionBus bus_;
  // Sensitive --env values (names like *KEY*, *TOKEN*): never stored, kept for the daemon's life.
  std::map<std::string, std::map<std::string, std::string>> secret_env_;
  // The environment a caller sent for its session (CreateRequest::caller_env): memory only.
  std::map<std::string, std::map<std::string, std::string>> caller_env_;
  std::string UniqueName();
  // The fields of sessions whose stored record was redacted (a secret in the prompt, argv or an env
  // value), as given, for launching them; kept for the daemon's life, like secret_env_.
  struct Unredacted {
    std::vector<std::string> command;
    std::optional<std::string> prompt;
    std::string context;
    std::map<std::string, std::string> env;
  };
  std::map<std::string, Unredacted> unredacted_;
  std::set<pid_t> released_on_exit_;  // processes of ended sessions found held at recovery
  std::optional<int64_t> store_stalled_since_;  // ms since epoch: the store became unwritable
  std::string store_stall_reason_;
  // Blocking work kept off the loop (the /proc scan at a session's end).
  boost::asio::thread_pool blocking_{1};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agentmux
