#include "session/manager.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <sstream>

#include "base/clock.h"
#include "proc/process.h"
#include "proc/redact.h"
#include "session/live.h"


namespace agentmux {
namespace asio = boost::asio;

SessionManager::SessionManager(asio::io_context& io, Store& store, const AdapterRegistry& adapters,
                               ManagerOptions options)
    : io_(io),
      store_(store),
      adapters_(adapters),
      options_(options),
      own_launcher_(options.launcher ? nullptr : MakeChildLauncher(io)),
      own_timers_(options.timers ? nullptr : MakeLoopTimers(io)),
      launcher_(options.launcher ? *options.launcher : *own_launcher_),
      timers_(options.timers ? *options.timers : *own_timers_) {
  std::weak_ptr<bool> alive = alive_;
  store_.SetCommitListener([this, alive, &io](std::vector<std::pair<std::string, int64_t>> committed) {
    asio::post(io, [this, alive, committed = std::move(committed)]() mutable {
      if (alive.lock()) OnCommitted(std::move(committed));
    });
  });
  store_.SetHealthListener([this, alive, &io](bool writable, const std::string& health) {
    asio::post(io, [this, alive, writable, health] {
      if (alive.lock()) OnStoreHealth(writable, health);
    });
  });
}

SessionManager::~SessionManager() {
  store_.SetCommitListener(nullptr);
  store_.SetHealthListener(nullptr);
  *alive_ = false;
  if (!options_.kill_on_destroy) return;
  for (auto& [id, live] : live_)
    if (live->proc->pid() > 0) live->proc->Signal(SIGKILL);
}

std::string SessionManager::path_env() const {
  const char* p = std::getenv("PATH");
  return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

void SessionManager::Run() {
  std::weak_ptr<bool> alive = alive_;
  launcher_.Watch([this, alive](pid_t pid, int status) {
    if (alive.lock()) OnProcessExit(pid, status);
  });
}

// Children of no session (orphans reparented to the daemon, a child subreaper) were reaped by the
// launcher and are forgotten here.
void SessionManager::OnProcessExit(pid_t pid, int wait_status) {
  if (released_on_exit_.erase(pid)) return launcher_.Release(pid);
  for (auto& [id, live] : live_) {
    if (live->proc->pid() != pid) continue;
    live->proc->OnExit(wait_status);
    break;
  }
}

// ---------------------------------------------------------------------------------------------
// Queries

Result<SessionRecord> SessionManager::Get(const std::string& id_or_prefix) {
  auto id = store_.ResolveId(id_or_prefix);
  if (!id.ok()) return id.error();
  if (auto it = live_.find(*id); it != live_.end()) return it->second->rec;
  return store_.GetSession(*id);
}

std::vector<SessionRecord> SessionManager::List(const SessionFilter& filter) {
  auto rows = store_.ListSessions(filter);
  for (auto& r : rows)
    if (auto it = live_.find(r.id); it != live_.end()) r = it->second->rec;
  return rows;
}

std::vector<LogChunkPtr> SessionManager::ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks,
                                                  size_t max_bytes) {
  auto out = store_.ReadLogs(id, after_seq, max_chunks, max_bytes);
  // The store holds everything up to its last commit; the in-memory tail everything after the last
  // commit this loop heard of. Together they have no gap.
  if (auto it = live_.find(id); it != live_.end()) it->second->log.AppendTail(out, after_seq, max_chunks, max_bytes);
  return out;
}

int64_t SessionManager::TailStartSeq(const std::string& id, int64_t lines) {
  if (live_.count(id)) store_.Flush();  // a live session's tail may still be queued
  return store_.TailStartSeq(id, lines);
}

std::vector<EventRecord> SessionManager::Events(const std::string& id, int64_t after_id, int limit) {
  return store_.ReadEvents(id, after_id, limit);
}

// Tells the session's observers the events stored after `after_event_id`.
void SessionManager::PublishEvents(const std::string& id, int64_t after_event_id) {
  if (!bus_.HasObservers(id)) return;
  for (const auto& e : store_.ReadEvents(id, after_event_id, 100)) bus_.Event(e);
}

std::vector<SessionRecord> SessionManager::Children(const std::string& parent_id) {
  SessionFilter f;
  f.parent_id = parent_id;
  f.limit = 10000;
  auto rows = List(f);
  std::stable_sort(rows.begin(), rows.end(), [](const SessionRecord& a, const SessionRecord& b) {
    int64_t pa = a.position.value_or(INT64_MAX), pb = b.position.value_or(INT64_MAX);
    return pa != pb ? pa < pb : a.id < b.id;  // ids sort by creation time (UUIDv7)
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Parents

ParentDriver* SessionManager::DriverOf(const SessionRecord& rec) const {
  auto it = drivers_.find(rec.kind);
  return it == drivers_.end() ? nullptr : it->second;
}

Result<SessionRecord> SessionManager::Update(const std::string& id, const std::function<void(SessionRecord&)>& mutate) {
  if (live_.count(id))
    return Error::Conflict("session_running", "session " + id + " has a process; its record is the engine's");
  auto rec = store_.GetSession(id);
  if (!rec.ok()) return rec.error();
  SessionRecord updated = *rec;
  mutate(updated);
  updated.id = rec->id;
  updated.updated_at = NowMs();
  Status st = store_.Write([&](StoreTxn& tx) { tx.UpdateSession(updated); });
  if (!st.ok()) return st.error();
  Notify(updated);
  return updated;
}

Result<SessionRecord> SessionManager::TransitionParent(SessionRecord parent, SessionAction action,
                                                       const std::string& event_type, nlohmann::json payload) {
  return ApplyTransition(parent, action, event_type, std::move(payload));
}

Status SessionManager::RecordEvent(const std::string& id, const std::string& type, nlohmann::json payload) {
  int64_t event_id = 0;
  int64_t now = NowMs();
  Status st = store_.Write([&](StoreTxn& tx) { event_id = tx.InsertEvent(id, type, payload, now); });
  if (!st.ok()) return st;
  PublishEvents(id, event_id - 1);
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Transitions

Result<SessionRecord> SessionManager::ApplyTransition(SessionRecord& rec, SessionAction action,
                                                      const std::string& event_type, nlohmann::json payload) {
  auto next = Transition(rec.status, action);
  if (!next.ok()) return next.error();
  SessionRecord updated = rec;
  updated.status = *next;
  updated.updated_at = NowMs();
  payload["from"] = ToString(rec.status);
  payload["to"] = ToString(updated.status);
  // A parent that ended by itself needs a person's eye (attention.cc); a process's end is Finish's.
  bool ended_attention = rec.kind != SessionKind::kAgent && WantsEndedAttention(updated);
  if (ended_attention) updated.attention = Attention{AttentionReason::kEnded, updated.updated_at, ""};
  int64_t event_id = 0;
  Status st = store_.Write([&](StoreTxn& tx) {
    tx.UpdateSession(updated);
    event_id = tx.InsertEvent(updated.id, event_type, payload, updated.updated_at);
    if (ended_attention) tx.InsertEvent(updated.id, "attention", AttentionPayload(updated.attention), updated.updated_at);
  });
  if (!st.ok()) return st.error();
  rec = updated;
  SessionRecord copy = rec;
  Notify(copy);
  PublishEvents(copy.id, event_id - 1);
  if (ended_attention) RunAttentionHook(copy);
  return copy;
}


Result<SessionRecord> SessionManager::Start(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (got->kind != SessionKind::kAgent) {
    ParentDriver* driver = DriverOf(*got);
    if (!driver) return Error::Unavailable("no_driver", "this daemon cannot run sessions of kind " + std::string(ToString(got->kind)));
    return driver->Start(*got);
  }
  return Launch(std::move(*got), SessionAction::kStart, "started");
}

Result<SessionRecord> SessionManager::Launch(SessionRecord rec, SessionAction action, const std::string& event_type) {
  if (auto t = Transition(rec.status, action); !t.ok()) return t.error();
  const Adapter* adapter = adapters_.Find(rec.tool);
  if (!adapter) return Error::Unavailable("unknown_tool", "this daemon has no adapter for tool '" + rec.tool + "'");
  if (action == SessionAction::kStart && launch_hook_) {
    if (auto st = launch_hook_(rec); !st.ok()) return st.error();
  }
  auto unredacted = Unredact(rec);
  if (!unredacted.ok()) return unredacted.error();
  const SessionRecord& run = *unredacted;  // what the process gets; `rec` is what is stored and shown
  auto plan = adapter->Plan(run, path_env());
  if (!plan.ok()) return plan.error();
  // A sensitive --env value given before a daemon restart is gone: say which, do not run without it.
  if (auto it = rec.metadata.find("secret_env"); it != rec.metadata.end()) {
    std::stringstream names(it->second);
    std::string name;
    while (std::getline(names, name, ',')) {
      if (!secret_env_.count(rec.id) || !secret_env_[rec.id].count(name))
        return Error::Conflict("secret_env_lost",
                               "the value of " + name + " (given with --env) was kept only in the memory of the "
                               "daemon that created this session, and that daemon restarted; create the session "
                               "again with --env " + name + "=…");
    }
  }
  std::string tmp_dir;
  if (plan->private_tmp && !options_.tmp_root.empty() && !rec.env.count("TMPDIR")) {
    tmp_dir = options_.tmp_root + "/" + rec.id;
    std::error_code ec;
    std::filesystem::create_directories(tmp_dir, ec);
    std::filesystem::permissions(tmp_dir, std::filesystem::perms::owner_all, ec);
    if (ec) tmp_dir.clear();  // the agent uses the usual /tmp then
    else plan->env["TMPDIR"] = tmp_dir;
  }
  EnvMap env = BuildEnv(run, *plan);
  SpawnOptions opts;
  opts.argv = plan->argv;
  for (const auto& [k, v] : env) opts.env.push_back(k + "=" + v);
  opts.cwd = WorkingDir(rec);
  opts.use_pty = plan->use_pty;
  auto size = [&](const char* key, unsigned short fallback) -> unsigned short {
    auto it = rec.metadata.find(key);
    if (it == rec.metadata.end()) return fallback;
    int v = std::atoi(it->second.c_str());
    return v > 0 && v <= 1000 ? static_cast<unsigned short>(v) : fallback;
  };
  opts.cols = size("pty_cols", opts.cols);
  opts.rows = size("pty_rows", opts.rows);
  auto proc = launcher_.Spawn(opts);
  if (!proc.ok()) {
    if (!tmp_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(tmp_dir, ec);
    }
    return proc.error();
  }

  // A resumed session appends to its log: sequence numbers and offsets go on from what is stored
  // (issue 11: starting again at 1 hit UNIQUE(session_id, seq) 301 times and stalled the writer).
  auto [stored_seq, stored_bytes] = store_.LogExtent(rec.id);
  auto live = std::make_unique<Live>(rec, std::max(rec.log_seq, stored_seq), std::max(rec.log_bytes, stored_bytes));
  live->started_mono = timers_.NowMs();
  live->tmp_dir = tmp_dir;
  live->parser = adapter->NewParser(run, env);
  InitScreen(*live, opts.cols, opts.rows);
  // Usage so far: this session's own (a resumed interrupted session has some) and its
  // conversation's (for a continue: the parent's running totals).
  std::optional<SessionRecord> parent;
  if (!rec.conversation_usage && !rec.conversation_cost_usd && rec.metadata.count("resume_conversation") &&
      rec.parent_id) {
    if (auto got = store_.GetSession(*rec.parent_id); got.ok()) parent = std::move(*got);
  }
  live->usage_base = BaseForRun(rec, parent ? &*parent : nullptr);
  auto secrets = Redactor::SecretsFromEnv(opts.env);
  pid_t pid = proc->pid;
  live->proc = std::make_unique<Supervisor>(io_, launcher_, timers_, std::move(*proc), secrets, HooksFor(rec.id), options_.drain_ms);

  // The argv as stored and shown: without the secrets of its environment or any credential shape.
  rec.command.clear();
  for (const auto& arg : plan->argv) rec.command.push_back(RedactText(arg, secrets));
  rec.pid = pid;
  if (plan->agent_session_id) rec.agent_session_id = plan->agent_session_id;
  rec.started_at = NowMs();
  live->rec = rec;
  Live& ref = *live;
  live_[rec.id] = std::move(live);
  nlohmann::json started_payload = {{"pid", pid}, {"command", rec.command}, {"pty", opts.use_pty}};
  if (auto it = rec.metadata.find("resume_conversation"); it != rec.metadata.end())
    started_payload["resume_conversation"] = it->second;
  auto result = ApplyTransition(ref.rec, action, event_type, started_payload);
  if (!result.ok()) {
    spdlog::error("session {}: could not record start: {}", rec.id, result.error().message);
    ref.stop_requested = true;
    ref.stop_action = SessionAction::kStop;
    ref.proc->Stop(0);
    return result.error();
  }
  spdlog::info("session {} started: pid {} {}", rec.id, pid, rec.command.front());
  ref.proc->Start(plan->stdin_data);
  if (auto it = ref.rec.metadata.find("timeout_ms"); it != ref.rec.metadata.end()) {
    try {
      StartTimeout(ref, std::stoll(it->second));
    } catch (const std::exception&) {
      spdlog::warn("session {}: ignoring a malformed timeout_ms '{}'", rec.id, it->second);
    }
  }
  return result;
}

SupervisorHooks SessionManager::HooksFor(const std::string& sid) {
  SupervisorHooks hooks;
  hooks.may_read = [this](int64_t* backoff_ms) {
    // Only the log writer may slow an agent: a full queue, or a store that cannot write at all.
    if (!store_.writable()) {
      *backoff_ms = 50;
      return false;
    }
    return store_.pending_log_bytes() <= options_.max_pending_log_bytes;
  };
  hooks.on_output = [this, sid](const std::string& level, std::string data) {
    if (auto it = live_.find(sid); it != live_.end()) OnOutput(*it->second, level, std::move(data));
  };
  hooks.on_done = [this, sid] {
    if (auto it = live_.find(sid); it != live_.end()) BeginFinish(*it->second);
  };
  return hooks;
}

// --timeout: ends a runaway agent (stop ladder, status failed) after `timeout_ms`.
void SessionManager::StartTimeout(Live& live, int64_t timeout_ms) {
  std::string sid = live.rec.id;
  live.timeout_timer = timers_.After(timeout_ms, [this, sid, timeout_ms] {
    auto it = live_.find(sid);
    if (it == live_.end() || it->second->stop_requested) return;
    Live& l = *it->second;
    spdlog::info("session {}: timed out after {} ms; stopping it", sid, timeout_ms);
    int64_t now = NowMs();
    nlohmann::json payload = {{"timeout_ms", timeout_ms}};
    if (l.parser && l.parser->report().error) payload["last_agent_message"] = *l.parser->report().error;
    store_.Post([sid, payload, now](StoreTxn& tx) { tx.InsertEvent(sid, "timeout", payload, now); });
    bus_.Event(EventRecord{0, sid, "timeout", payload, now});
    BeginStop(l, SessionAction::kFail, "timed out after " + FormatDuration(timeout_ms), options_.timeout_grace_ms);
  });
}

}  // namespace agentmux
