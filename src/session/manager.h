// SessionManager: the one way anything changes a session (DESIGN §3). It owns every live session's
// process, PTY or pipes, output sequencing and subscribers, and writes every status change together
// with its event in one store transaction, committed before any client hears of it.
//
// Threading: REQUIRES that every method is called on the thread running `io` (the daemon's event
// loop, its one strand). The store's writer thread reports commits back through `io`.
//
// Data path for output: read (≤ 64 KiB) → LogChunk with the next seq and byte offset → store queue
// (group commit) + in-memory tail of uncommitted chunks + observers. A session ends only after its
// process was reaped, every output fd reached EOF and the final status was committed after the
// last chunk.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agents/adapter.h"
#include "base/result.h"
#include "session/session.h"
#include "store/store.h"

namespace agentmux {

struct CreateRequest {
  std::string tool;                      // adapter name; "" = shell when `command` is set
  std::optional<SessionMode> mode;       // default: the adapter's
  std::string project_path;              // must be an existing directory; canonicalised
  std::vector<std::string> spec_ids;     // ordered; each must resolve (specs/specs.h)
  std::optional<std::string> prompt;
  std::vector<std::string> command;      // argv for the shell tool
  std::map<std::string, std::string> env;  // --env KEY=VAL
  std::optional<std::string> parent_id;
  unsigned short cols = 0, rows = 0;     // initial PTY size (0 = 120x40)
  std::optional<int64_t> timeout_ms;     // end the session (stop ladder, status failed) after this long
  // Continue the agent's conversation with this id (the adapter adds its resume flag). Set by
  // Continue(); with it, the context delivered is the prompt alone.
  std::optional<std::string> resume_conversation;
  bool fallback_fresh = false;           // if the agent no longer knows the conversation, start afresh
  // Created to be started at once (create-and-start): recovery cancels it if a crash cut the two
  // apart (metadata start_requested).
  bool start_requested = false;
};

// Receives a session's output, status changes and events, on the loop thread. Observers must
// remove themselves (RemoveObserver) before they are destroyed.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void OnLog(const LogChunkPtr& chunk) = 0;
  virtual void OnStatus(const SessionRecord& session) = 0;
  virtual void OnEvent(const EventRecord& event) = 0;
  // Watchers only (AddWatcher): a session was deleted.
  virtual void OnDeleted(const std::string& session_id) {}
};

// A subscription of an observer to one session (or, with an empty id, a watcher of all sessions).
// Move-only; unregisters itself when destroyed or reset — and does nothing if the manager is gone
// first (issue 11: a WebSocket client destroyed with the io_context after the manager read freed
// memory). REQUIRES: destroyed on the loop thread.
class ObserverHandle {
 public:
  ObserverHandle() = default;
  ObserverHandle(std::weak_ptr<bool> alive, std::function<void()> remove)
      : alive_(std::move(alive)), remove_(std::move(remove)) {}
  ObserverHandle(ObserverHandle&& o) noexcept : alive_(std::move(o.alive_)), remove_(std::exchange(o.remove_, nullptr)) {}
  ObserverHandle& operator=(ObserverHandle&& o) noexcept {
    if (this != &o) {
      reset();
      alive_ = std::move(o.alive_);
      remove_ = std::exchange(o.remove_, nullptr);
    }
    return *this;
  }
  ObserverHandle(const ObserverHandle&) = delete;
  ObserverHandle& operator=(const ObserverHandle&) = delete;
  ~ObserverHandle() { reset(); }
  void reset() {
    if (remove_ && alive_.lock()) remove_();
    remove_ = nullptr;
  }
  explicit operator bool() const { return remove_ != nullptr; }

 private:
  std::weak_ptr<bool> alive_;
  std::function<void()> remove_;
};

struct ManagerOptions {
  int64_t default_grace_ms = 10'000;  // stop: SIGTERM → SIGKILL
  int64_t drain_ms = 2'000;           // after the leader exits, how long stray holders of the output may keep it open
  int64_t timeout_grace_ms = 5'000;   // --timeout: SIGTERM → SIGKILL
  size_t max_pending_log_bytes = 64u << 20;  // store queue size at which PTY reads pause (backpressure)
  bool kill_on_destroy = true;        // the destructor SIGKILLs live process groups (tests turn it off to play a crash)
  // Where sessions whose adapter asks for a private TMPDIR (LaunchPlan::private_tmp) get it:
  // <tmp_root>/<session id>, mode 0700, removed when the session ends. "" = no private TMPDIR.
  std::string tmp_root;
};

class SessionManager {
 public:
  SessionManager(boost::asio::io_context& io, Store& store, const AdapterRegistry& adapters,
                 ManagerOptions options = {});
  ~SessionManager();

  // Marks sessions a dead daemon left running or paused as interrupted (with an event), after
  // killing their processes — process groups and setsid escapees alike, matched by
  // AGENTMUX_SESSION_ID in one /proc scan; cancels pending sessions whose create-and-start a crash
  // cut short (metadata start_requested). Call once at start; when the store cannot write yet it
  // retries every second until it can.
  void Recover();
  // Starts reaping children (SIGCHLD on the loop). Call once before the first Start().
  void Run();
  // Ends every live session (stop ladder, status interrupted: "daemon shutting down") and waits
  // at most `deadline_ms`; the loop must keep running meanwhile. `done` runs when all are gone.
  void Shutdown(int64_t deadline_ms, std::function<void()> done);

  // Validates and stores a new pending session. Errors: unknown_tool, bad_project_path,
  // unknown_spec / ambiguous_spec, missing_command, invalid_argument.
  Result<SessionRecord> Create(CreateRequest request);
  // pending → running: spawns the process. Errors: session_not_found, illegal_transition,
  // binary_not_found (the session stays pending), spawn failures.
  Result<SessionRecord> Start(const std::string& id);
  Result<SessionRecord> Pause(const std::string& id);   // SIGSTOP to the process group
  // paused → running: SIGCONT to the process group. interrupted → running: relaunches the agent
  // resuming its conversation (event resumed_conversation). Errors: illegal_transition,
  // no_conversation (the agent never reported a conversation id, or its adapter cannot resume).
  Result<SessionRecord> Resume(const std::string& id);
  // A new session (parent_id = id, same tool, mode, project, specs and kept env) that resumes the
  // agent's conversation with `prompt`; started at once. Errors: session_not_found, no_conversation,
  // session_running (continue an ended session).
  Result<SessionRecord> Continue(const std::string& id, const std::optional<std::string>& prompt, bool fallback_fresh);
  // A new session with the same fields (parent_id = id), started at once (failed|cancelled|interrupted).
  Result<SessionRecord> Retry(const std::string& id);
  // pending → cancelled at once; running/paused: SIGTERM (and SIGCONT) to the group, SIGKILL after
  // `grace_ms`. Returns at once; the session becomes cancelled when the process is gone.
  Result<SessionRecord> Stop(const std::string& id, std::optional<int64_t> grace_ms);
  // Deletes a session with its logs and events. Errors: session_running (stop it first).
  Status Delete(const std::string& id);

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

  void AddObserver(const std::string& id, SessionObserver* observer);
  void RemoveObserver(const std::string& id, SessionObserver* observer);
  // A watcher hears OnStatus for every session that is created or changes, and OnDeleted.
  void AddWatcher(SessionObserver* watcher) { watchers_.insert(watcher); }
  void RemoveWatcher(SessionObserver* watcher) { watchers_.erase(watcher); }
  // The same as handles that unregister themselves (prefer these).
  [[nodiscard]] ObserverHandle Observe(const std::string& id, SessionObserver* observer) {
    AddObserver(id, observer);
    return ObserverHandle(alive_, [this, id, observer] { RemoveObserver(id, observer); });
  }
  [[nodiscard]] ObserverHandle Watch(SessionObserver* watcher) {
    AddWatcher(watcher);
    return ObserverHandle(alive_, [this, watcher] { RemoveWatcher(watcher); });
  }

  size_t live_count() const { return live_.size(); }
  const AdapterRegistry& adapters() const { return adapters_; }
  Store& store() { return store_; }
  // PATH agent processes see (the daemon's).
  std::string path_env() const;

 private:
  struct Live;
  struct Output;

  // A create request for a new session like `parent` (tool, mode, project, specs, prompt, command,
  // env including secrets still in memory, timeout) with parent_id = parent.id.
  CreateRequest RequestLike(const SessionRecord& parent) const;
  Result<SessionRecord> Launch(SessionRecord rec, SessionAction action, const std::string& event_type);
  void BeginStop(Live& live, SessionAction action, const std::string& reason, int64_t grace_ms);
  // After a resumed run failed because the agent no longer knows the conversation: records why and,
  // when asked, starts a fresh session seeded with the earlier context.
  void HandleLostConversation(const SessionRecord& rec, const std::string& agent_message);
  Result<SessionRecord> ApplyTransition(SessionRecord& rec, SessionAction action, const std::string& event_type,
                                        nlohmann::json payload);
  void Broadcast(const std::string& id, const std::function<void(SessionObserver*)>& fn);
  void BroadcastEvents(const std::string& id, int64_t after_event_id);
  void StartRead(Live& live, Output& out);
  // Reads what `out` has buffered, up to kReadSize bytes, into read_buf_ without blocking; sets
  // *closed on EOF or EIO (the other side is gone). Returns the bytes read.
  size_t ReadAvailable(Output& out, bool* closed);
  void OnOutput(Live& live, Output& out, std::string_view raw);
  void EmitChunk(Live& live, const std::string& level, std::string data);
  void OnOutputClosed(Live& live, Output& out);
  void OnChildExit(pid_t pid, int wait_status);
  void ReapChildren();
  void MaybeFinish(Live& live);
  // The process is gone and its output drained: kill what left its group (off the loop), then
  // DecideFinish + Finish.
  void BeginFinish(Live& live);
  void DecideFinish(Live& live);  // the final status, event and payload, once
  void Finish(Live& live);        // records them; retried while the store cannot write
  void ParserFailed(Live& live, const std::string& what);
  void OnStoreHealth(bool writable, const std::string& health);
  void DrainAgentEvents(Live& live);
  void ApplyReport(Live& live);
  void SignalGroup(Live& live, int sig);
  void OnCommitted(std::vector<std::pair<std::string, int64_t>> committed);
  EnvMap BuildEnv(const SessionRecord& rec, const LaunchPlan& plan) const;

  boost::asio::io_context& io_;
  Store& store_;
  const AdapterRegistry& adapters_;
  ManagerOptions options_;
  boost::asio::signal_set sigchld_;
  std::map<std::string, std::unique_ptr<Live>> live_;
  // Most bytes one read pass takes from one output before other sessions get a turn; also the
  // largest log chunk a flood produces.
  static constexpr size_t kReadSize = 64 * 1024;
  std::vector<char> read_buf_ = std::vector<char>(kReadSize);  // every output's reads (loop thread)
  std::map<std::string, std::set<SessionObserver*>> observers_;
  std::set<SessionObserver*> watchers_;
  void NotifyStatus(const SessionRecord& rec);
  // Sensitive --env values (names like *KEY*, *TOKEN*): never stored, kept for the daemon's life.
  std::map<std::string, std::map<std::string, std::string>> secret_env_;
  // The fields of sessions whose stored record was redacted (a secret in the prompt, argv or an env
  // value), as given, for launching them; kept for the daemon's life, like secret_env_.
  struct Unredacted {
    std::vector<std::string> command;
    std::optional<std::string> prompt;
    std::string context;
    std::map<std::string, std::string> env;
  };
  std::map<std::string, Unredacted> unredacted_;
  Result<SessionRecord> Unredact(const SessionRecord& rec) const;
  std::optional<int64_t> store_stalled_since_;  // ms since epoch: the store became unwritable
  std::string store_stall_reason_;
  // Blocking work kept off the loop (the /proc scan at a session's end).
  boost::asio::thread_pool blocking_{1};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The longest --timeout / timeout_ms accepted: 30 days.
inline constexpr int64_t kMaxTimeoutMs = 30LL * 24 * 3'600'000;

// "90s", "5m", "1.5h", "1500ms", "30" (seconds) → milliseconds; nullopt when malformed, ≤ 0 or
// over kMaxTimeoutMs.
std::optional<int64_t> ParseDuration(const std::string& text);
std::string FormatDuration(int64_t ms);


}  // namespace agentmux
