#include "session/manager.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "base/ids.h"
#include "proc/process.h"
#include "proc/redact.h"
#include "specs/specs.h"

extern char** environ;

namespace agentmux {
namespace asio = boost::asio;

// One output stream of a live session: the PTY master, or stdout / stderr pipes.
struct SessionManager::Output {
  std::string level;  // pty | stdout | stderr
  std::unique_ptr<asio::posix::stream_descriptor> fd;  // non-blocking
  bool open = true;
  // Every stream has one: credential shapes are redacted in every session, and the session's own
  // secret values (its environment's) where it has any. Holds back a possible secret's start until
  // it is disproved, however long the pause (bounded by size), and releases the rest at EOF.
  std::unique_ptr<Redactor> redactor;
};

// A session with a process (running or paused). Owned by live_; async handlers find it by id.
struct SessionManager::Live {
  SessionRecord rec;
  pid_t pid = -1;  // process group id too; -1 once reaped
  std::vector<std::unique_ptr<Output>> outputs;
  Output* pty = nullptr;  // the PTY output, for input/resize
  std::unique_ptr<asio::posix::stream_descriptor> stdin_pipe;
  std::shared_ptr<std::string> stdin_data;
  std::unique_ptr<OutputParser> parser;
  std::optional<ExitStatus> exit;
  int64_t started_mono = 0;
  int64_t next_seq = 1;
  int64_t offset = 0;
  int64_t committed_seq = 0;
  std::deque<LogChunkPtr> uncommitted;  // chunks queued to the store and not yet committed
  bool stop_requested = false;
  std::optional<SessionAction> stop_action;  // kStop (user) or kInterrupt (daemon shutdown)
  std::string stop_reason;
  bool finishing = false;
  std::unique_ptr<asio::steady_timer> kill_timer;
  std::unique_ptr<asio::steady_timer> drain_timer;
  std::unique_ptr<asio::steady_timer> backoff_timer;
  std::unique_ptr<asio::steady_timer> timeout_timer;
  // Usage before this run (see Launch) and a tail of stderr for the adapter's error checks.
  Usage base_own, base_conv;
  double base_own_cost = 0, base_conv_cost = 0;
  std::string stderr_tail;
  std::string tmp_dir;  // private TMPDIR, removed at the end ("" = none)
  // Finishing (see BeginFinish): decided once, then recorded — retried while the store cannot write.
  std::vector<int> escaped;  // pids that had left the process group, killed at the end
  bool final_ready = false;
  SessionRecord final_rec;   // the ended session as it will be stored
  std::string final_event;
  nlohmann::json final_payload;
  std::optional<std::string> lost_conversation;
  std::unique_ptr<asio::steady_timer> finish_timer;
};

// Removes a private TMPDIR and what the agent left in it; failures are logged, never fatal.
// The line of a CLI's stderr that says why it failed: the last one starting with "Error" (any
// case), else the last non-blank one; without ANSI colour codes, at most 300 bytes.
static std::string ErrorLine(const std::string& text) {
  std::string clean;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    clean += text[i];
  }
  std::string last, error;
  std::stringstream lines(clean);
  for (std::string line; std::getline(lines, line);) {
    size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
    if (b == std::string::npos) continue;
    line = line.substr(b, e + 1 - b);
    last = line;
    if (line.size() >= 5 && (line.compare(0, 5, "Error") == 0 || line.compare(0, 5, "error") == 0 ||
                             line.compare(0, 5, "ERROR") == 0))
      error = line;
  }
  std::string out = error.empty() ? last : error;
  return out.size() > 300 ? out.substr(0, 300) : out;
}

// True when /proc/<pid>/environ holds AGENTMUX_SESSION_ID=<id>: the process is that session's.
static bool ProcessBelongsTo(int pid, const std::string& id) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return false;
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return env.find(std::string("AGENTMUX_SESSION_ID=") + id + '\0') != std::string::npos;
}

// SIGKILLs processes of session `id` that left its process group (setsid: e.g. the Codex TUI's
// app-server daemon), found by AGENTMUX_SESSION_ID in their environment. Returns their pids.
static std::vector<int> KillEscapees(const std::string& id) {
  std::vector<int> killed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    int pid = std::stoi(name);
    if (pid == ::getpid() || !ProcessBelongsTo(pid, id)) continue;
    if (::kill(pid, SIGKILL) == 0) killed.push_back(pid);
  }
  return killed;
}

// The session id in /proc/<pid>/environ (AGENTMUX_SESSION_ID), or "".
static std::string SessionOfProcess(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return "";
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static const std::string key = std::string("\0") + "AGENTMUX_SESSION_ID=";
  size_t at = env.rfind("AGENTMUX_SESSION_ID=", 0) == 0 ? 0 : env.find(key);
  if (at == std::string::npos) return "";
  if (at > 0) ++at;
  size_t start = at + key.size() - 1, end = env.find('\0', start);
  return env.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// One /proc scan: SIGKILLs every process whose AGENTMUX_SESSION_ID is one of `ids` (what a dead
// daemon's sessions left running). Returns the pids per session.
static std::map<std::string, std::vector<int>> KillProcessesOf(const std::set<std::string>& ids) {
  std::map<std::string, std::vector<int>> killed;
  if (ids.empty()) return killed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::string sid = SessionOfProcess(pid);
    if (sid.empty() || !ids.count(sid)) continue;
    if (::kill(pid, SIGKILL) == 0) killed[sid].push_back(pid);
  }
  return killed;
}

static void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) spdlog::warn("could not remove {}: {}", dir, ec.message());
}

std::string FormatDuration(int64_t ms) {
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<int64_t> ParseDuration(const std::string& text) {
  size_t used = 0;
  double value;
  try {
    value = std::stod(text, &used);
  } catch (...) {
    return std::nullopt;
  }
  std::string unit = text.substr(used);
  double ms;
  if (unit == "ms") ms = value;
  else if (unit == "s" || unit.empty()) ms = value * 1000;
  else if (unit == "m") ms = value * 60'000;
  else if (unit == "h") ms = value * 3'600'000;
  else return std::nullopt;
  if (!(ms > 0) || ms > static_cast<double>(kMaxTimeoutMs)) return std::nullopt;
  return static_cast<int64_t>(ms);
}


SessionManager::SessionManager(asio::io_context& io, Store& store, const AdapterRegistry& adapters,
                               ManagerOptions options)
    : io_(io), store_(store), adapters_(adapters), options_(options), sigchld_(io) {
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
  watchers_.clear();
  *alive_ = false;
  if (!options_.kill_on_destroy) return;
  for (auto& [id, live] : live_) {
    if (live->pid > 0) ::kill(-live->pid, SIGKILL);
  }
}

std::string SessionManager::path_env() const {
  const char* p = std::getenv("PATH");
  return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

void SessionManager::Run() {
  sigchld_.add(SIGCHLD);
  std::function<void(const boost::system::error_code&, int)> handler;
  auto rearm = std::make_shared<std::function<void()>>();
  std::weak_ptr<bool> alive = alive_;
  *rearm = [this, rearm, alive] {
    sigchld_.async_wait([this, rearm, alive](const boost::system::error_code& ec, int) {
      if (ec || !alive.lock()) return;
      ReapChildren();
      (*rearm)();
    });
  };
  (*rearm)();
  // A child may have exited before the handler was installed.
  ReapChildren();
}

void SessionManager::ReapChildren() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    OnChildExit(pid, status);
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
  auto it = live_.find(id);
  if (it == live_.end()) return out;
  // The store holds everything up to its last commit; the in-memory tail holds everything after the
  // last commit this loop heard of. Together they have no gap.
  int64_t last = out.empty() ? after_seq : out.back()->seq;
  size_t bytes = 0;
  for (const auto& c : out) bytes += c->data.size();
  for (const auto& c : it->second->uncommitted) {
    if (out.size() >= max_chunks || (bytes >= max_bytes && !out.empty())) break;
    if (c->seq <= last) continue;
    if (c->seq != last + 1) break;  // not contiguous yet (cannot happen; be safe)
    out.push_back(c);
    bytes += c->data.size();
    last = c->seq;
  }
  return out;
}

int64_t SessionManager::TailStartSeq(const std::string& id, int64_t lines) {
  if (live_.count(id)) store_.Flush();  // a live session's tail may still be queued
  return store_.TailStartSeq(id, lines);
}

std::vector<EventRecord> SessionManager::Events(const std::string& id, int64_t after_id, int limit) {
  return store_.ReadEvents(id, after_id, limit);
}

// ---------------------------------------------------------------------------------------------
// Observers

void SessionManager::AddObserver(const std::string& id, SessionObserver* observer) {
  observers_[id].insert(observer);
}

void SessionManager::RemoveObserver(const std::string& id, SessionObserver* observer) {
  auto it = observers_.find(id);
  if (it == observers_.end()) return;
  it->second.erase(observer);
  if (it->second.empty()) observers_.erase(it);
}

void SessionManager::Broadcast(const std::string& id, const std::function<void(SessionObserver*)>& fn) {
  auto it = observers_.find(id);
  if (it == observers_.end()) return;
  // Copy: an observer may unsubscribe itself from inside the callback.
  std::vector<SessionObserver*> copy(it->second.begin(), it->second.end());
  for (auto* o : copy) {
    auto again = observers_.find(id);
    if (again != observers_.end() && again->second.count(o)) fn(o);
  }
}

void SessionManager::NotifyStatus(const SessionRecord& rec) {
  Broadcast(rec.id, [&](SessionObserver* o) { o->OnStatus(rec); });
  std::vector<SessionObserver*> copy(watchers_.begin(), watchers_.end());
  for (auto* w : copy)
    if (watchers_.count(w) && !(observers_.count(rec.id) && observers_[rec.id].count(w))) w->OnStatus(rec);
}

void SessionManager::BroadcastEvents(const std::string& id, int64_t after_event_id) {
  if (!observers_.count(id)) return;
  for (const auto& e : store_.ReadEvents(id, after_event_id, 100)) Broadcast(id, [&](SessionObserver* o) { o->OnEvent(e); });
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
  int64_t event_id = 0;
  Status st = store_.Write([&](SQLite::Database& db) {
    Store::UpdateSession(db, updated);
    event_id = Store::InsertEvent(db, updated.id, event_type, payload, updated.updated_at);
  });
  if (!st.ok()) return st.error();
  rec = updated;
  SessionRecord copy = rec;
  NotifyStatus(copy);
  BroadcastEvents(copy.id, event_id - 1);
  return copy;
}

Result<SessionRecord> SessionManager::Create(CreateRequest req) {
  if (req.tool.empty()) {
    if (req.command.empty())
      return Error::InvalidArgument("missing_tool",
                                    "say which agent to run with --tool (claude, shell, …) or give a command "
                                    "after `--`");
    req.tool = "shell";
  }
  const Adapter* adapter = adapters_.Find(req.tool);
  if (!adapter) {
    std::string names;
    for (const auto* a : adapters_.All()) names += (names.empty() ? "" : ", ") + a->name();
    return Error::InvalidArgument("unknown_tool", "unknown tool '" + req.tool + "' (available: " + names + ")");
  }
  if (req.project_path.empty()) return Error::InvalidArgument("bad_project_path", "project_path is required");
  // What runs must be what is stored: exec() and the environment cannot carry a NUL byte, so a
  // value holding one would silently be cut short.
  auto has_nul = [](const std::string& v) { return v.find('\0') != std::string::npos; };
  if (has_nul(req.project_path)) return Error::InvalidArgument("bad_project_path", "project_path contains a NUL byte");
  for (const auto& arg : req.command)
    if (has_nul(arg)) return Error::InvalidArgument("bad_command", "an argument of the command contains a NUL byte");
  for (const auto& [k, v] : req.env)
    if (has_nul(k) || has_nul(v))
      return Error::InvalidArgument("bad_env", "environment variable '" + k.substr(0, k.find('\0')) +
                                                   "' contains a NUL byte");
  if (req.prompt && has_nul(*req.prompt)) return Error::InvalidArgument("bad_prompt", "the prompt contains a NUL byte");
  std::error_code ec;
  auto canonical = std::filesystem::canonical(req.project_path, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec))
    return Error::InvalidArgument("bad_project_path",
                                  "project path '" + req.project_path + "' is not an existing directory");
  auto resolved = ResolveSpecs(canonical.string(), req.spec_ids);
  if (!resolved.ok()) return resolved.error();
  std::vector<Spec> specs = std::move(*resolved);
  for (size_t i = 0; i < req.spec_ids.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (specs[i].id == specs[j].id)
        return Error::InvalidArgument("duplicate_spec", "spec " + specs[i].id + " is attached twice");
  for (const auto& [k, v] : req.env)
    if (k.empty() || k.find('=') != std::string::npos)
      return Error::InvalidArgument("bad_env", "environment variable name '" + k + "' is not valid (use KEY=VALUE)");

  SessionRecord rec;
  rec.id = NewUuidV7();
  rec.project_path = canonical.string();
  rec.spec_ids = req.spec_ids;
  if (req.prompt && !req.prompt->empty()) rec.prompt = req.prompt;
  rec.tool = req.tool;
  rec.mode = req.mode.value_or(adapter->default_mode());
  rec.command = req.command;
  rec.parent_id = req.parent_id;
  // A continued conversation already holds the specs: deliver the new prompt alone.
  rec.context = req.resume_conversation ? ComposeContext({}, rec.prompt) : ComposeContext(specs, rec.prompt);
  if (req.resume_conversation) rec.metadata["resume_conversation"] = *req.resume_conversation;
  if (req.fallback_fresh) rec.metadata["fallback"] = "fresh";
  if (req.start_requested) rec.metadata["start_requested"] = "1";
  if (req.timeout_ms) {
    if (*req.timeout_ms <= 0 || *req.timeout_ms > kMaxTimeoutMs)
      return Error::InvalidArgument("bad_timeout", "timeout must be positive and at most 30 days (" +
                                                       std::to_string(kMaxTimeoutMs) + " ms)");
    rec.metadata["timeout_ms"] = std::to_string(*req.timeout_ms);
  }
  for (const auto& [k, v] : req.env) {
    if (IsSensitiveName(k)) secret_env_[rec.id][k] = v;
    else rec.env[k] = v;
  }
  if (req.cols) rec.metadata["pty_cols"] = std::to_string(req.cols);
  if (req.rows) rec.metadata["pty_rows"] = std::to_string(req.rows);
  rec.created_at = rec.updated_at = NowMs();

  // Catch what would fail at start (no command for shell, no prompt for claude) now.
  if (rec.tool == "shell" && rec.command.empty()) {
    auto plan = adapter->Plan(rec, path_env());
    if (!plan.ok()) return plan.error();
  }

  nlohmann::json payload = {{"tool", rec.tool}, {"mode", ToString(rec.mode)}, {"spec_ids", rec.spec_ids},
                            {"has_prompt", rec.prompt.has_value()}};
  if (!secret_env_[rec.id].empty()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : secret_env_[rec.id]) names.push_back(k);
    payload["secret_env"] = names;  // names only; values never reach the store
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
    rec.metadata["secret_env"] = joined;
  } else {
    secret_env_.erase(rec.id);
  }
  // Secrets in the prompt, the command or an env value (a credential shape, a URL password, or a
  // sensitive --env value repeated in argv) are redacted in everything stored and shown; what runs
  // gets the originals, kept in memory only (like sensitive --env values).
  {
    std::vector<std::string> env_entries;
    for (const auto& [k, v] : req.env) env_entries.push_back(k + "=" + v);
    Redactor::Secrets secrets = Redactor::SecretsFromEnv(env_entries);
    Unredacted original{rec.command, rec.prompt, rec.context, rec.env};
    bool changed = false;
    auto redact = [&](std::string& text) {
      std::string safe = RedactText(text, secrets);
      if (safe != text) changed = true, text = std::move(safe);
    };
    for (auto& arg : rec.command) redact(arg);
    if (rec.prompt) redact(*rec.prompt);
    redact(rec.context);
    for (auto& [k, v] : rec.env) redact(v);
    if (changed) unredacted_[rec.id] = std::move(original);
  }
  Status st = store_.Write([&](SQLite::Database& db) {
    Store::InsertSession(db, rec);
    Store::InsertEvent(db, rec.id, "created", payload, rec.created_at);
  });
  if (!st.ok()) {
    unredacted_.erase(rec.id);
    secret_env_.erase(rec.id);
    return st.error();
  }
  NotifyStatus(rec);
  return rec;
}

// What the session's process must get: its record with the secrets this daemon kept in memory put
// back. Errors: secret_lost when the stored record was redacted and the originals are gone (the
// daemon restarted).
Result<SessionRecord> SessionManager::Unredact(const SessionRecord& rec) const {
  SessionRecord run = rec;
  if (auto it = unredacted_.find(rec.id); it != unredacted_.end()) {
    run.command = it->second.command;
    run.prompt = it->second.prompt;
    run.context = it->second.context;
    run.env = it->second.env;
    return run;
  }
  bool redacted = ContainsRedaction(rec.context) || (rec.prompt && ContainsRedaction(*rec.prompt));
  for (const auto& arg : rec.command) redacted |= rec.tool == "shell" && ContainsRedaction(arg);
  for (const auto& [k, v] : rec.env) redacted |= ContainsRedaction(v);
  if (redacted)
    return Error::Conflict("secret_lost",
                           "session " + rec.id + " held a secret (in its prompt, command or environment) that was "
                           "kept only in the memory of the daemon that created it, and that daemon restarted; "
                           "create the session again");
  return run;
}

EnvMap SessionManager::BuildEnv(const SessionRecord& rec, const LaunchPlan& plan) const {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  // The daemon's own plumbing is not the agent's business.
  env.erase("AGENTMUX_DAEMON");
  env["TERM"] = plan.use_pty ? "xterm-256color" : env.count("TERM") ? env["TERM"] : "dumb";
  for (const auto& [k, v] : plan.env) env[k] = v;
  std::string ids;
  for (const auto& s : rec.spec_ids) ids += (ids.empty() ? "" : ",") + s;
  env["LEANSPEC_SPEC_IDS"] = ids;
  env["LEANSPEC_SPEC_ID"] = rec.spec_ids.empty() ? "" : rec.spec_ids.front();
  if (rec.prompt) env["LEANSPEC_PROMPT"] = *rec.prompt;
  else env.erase("LEANSPEC_PROMPT");
  env["LEANSPEC_PROJECT_PATH"] = rec.project_path;
  // Shells and some CLIs (OpenCode) take the working directory from PWD, not getcwd().
  env["PWD"] = rec.project_path;
  env.erase("OLDPWD");
  env["AGENTMUX_SESSION_ID"] = rec.id;
  for (const auto& [k, v] : rec.env) env[k] = v;
  if (auto it = secret_env_.find(rec.id); it != secret_env_.end())
    for (const auto& [k, v] : it->second) env[k] = v;
  return env;
}

Result<SessionRecord> SessionManager::Start(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  return Launch(std::move(*got), SessionAction::kStart, "started");
}

Result<SessionRecord> SessionManager::Launch(SessionRecord rec, SessionAction action, const std::string& event_type) {
  if (auto t = Transition(rec.status, action); !t.ok()) return t.error();
  const Adapter* adapter = adapters_.Find(rec.tool);
  if (!adapter) return Error::Unavailable("unknown_tool", "this daemon has no adapter for tool '" + rec.tool + "'");
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
  opts.cwd = rec.project_path;
  opts.use_pty = plan->use_pty;
  if (auto it = rec.metadata.find("pty_cols"); it != rec.metadata.end()) opts.cols = std::stoi(it->second);
  if (auto it = rec.metadata.find("pty_rows"); it != rec.metadata.end()) opts.rows = std::stoi(it->second);
  auto proc = Spawn(opts);
  if (!proc.ok()) {
    if (!tmp_dir.empty()) RemoveTree(tmp_dir);
    return proc.error();
  }

  auto live = std::make_unique<Live>();
  live->pid = proc->pid;
  // A resumed session appends to its log: sequence numbers and offsets go on from what is stored
  // (issue 11: starting again at 1 hit UNIQUE(session_id, seq) 301 times and stalled the writer).
  {
    auto [stored_seq, stored_bytes] = store_.LogExtent(rec.id);
    live->next_seq = std::max(rec.log_seq, stored_seq) + 1;
    live->offset = std::max(rec.log_bytes, stored_bytes);
    live->committed_seq = live->next_seq - 1;
  }
  live->started_mono = MonotonicMs();
  live->tmp_dir = tmp_dir;
  live->parser = adapter->NewParser(rec, env);
  // Usage so far: this session's own (a resumed interrupted session has some) and its
  // conversation's (for a continue: the parent's running totals).
  live->base_own = rec.usage.value_or(Usage{});
  live->base_own_cost = rec.cost_usd.value_or(0);
  if (rec.conversation_usage || rec.conversation_cost_usd) {
    live->base_conv = rec.conversation_usage.value_or(Usage{});
    live->base_conv_cost = rec.conversation_cost_usd.value_or(0);
  } else if (rec.metadata.count("resume_conversation") && rec.parent_id) {
    if (auto parent = store_.GetSession(*rec.parent_id); parent.ok()) {
      live->base_conv = parent->conversation_usage.value_or(parent->usage.value_or(Usage{}));
      live->base_conv_cost = parent->conversation_cost_usd.value_or(parent->cost_usd.value_or(0));
    }
  }
  auto secrets = Redactor::SecretsFromEnv(opts.env);
  auto add_output = [&](UniqueFd fd, const char* level) {
    auto out = std::make_unique<Output>();
    out->level = level;
    out->redactor = std::make_unique<Redactor>(secrets);
    out->fd = std::make_unique<asio::posix::stream_descriptor>(io_, fd.release());
    out->fd->non_blocking(true);  // ReadAvailable() drains until EAGAIN
    live->outputs.push_back(std::move(out));
  };
  if (proc->pty_master.valid()) {
    add_output(std::move(proc->pty_master), "pty");
    live->pty = live->outputs.back().get();
  } else {
    add_output(std::move(proc->stdout_fd), "stdout");
    add_output(std::move(proc->stderr_fd), "stderr");
    live->stdin_pipe = std::make_unique<asio::posix::stream_descriptor>(io_, proc->stdin_fd.release());
  }

  // The argv as stored and shown: without the secrets of its environment or any credential shape.
  rec.command.clear();
  for (const auto& arg : plan->argv) rec.command.push_back(RedactText(arg, secrets));
  rec.pid = proc->pid;
  if (plan->agent_session_id) rec.agent_session_id = plan->agent_session_id;
  rec.started_at = NowMs();
  live->rec = rec;
  Live& ref = *live;
  live_[rec.id] = std::move(live);
  nlohmann::json started_payload = {{"pid", proc->pid}, {"command", rec.command}, {"pty", opts.use_pty}};
  if (auto it = rec.metadata.find("resume_conversation"); it != rec.metadata.end())
    started_payload["resume_conversation"] = it->second;
  auto result = ApplyTransition(ref.rec, action, event_type, started_payload);
  if (!result.ok()) {
    spdlog::error("session {}: could not record start: {}", rec.id, result.error().message);
    ref.stop_requested = true;
    ref.stop_action = SessionAction::kStop;
    SignalGroup(ref, SIGKILL);
    return result.error();
  }
  spdlog::info("session {} started: pid {} {}", rec.id, proc->pid, rec.command.front());

  if (ref.stdin_pipe) {
    if (plan->stdin_data && !plan->stdin_data->empty()) {
      ref.stdin_data = std::make_shared<std::string>(*plan->stdin_data);
      std::string sid = rec.id;
      asio::async_write(*ref.stdin_pipe, asio::buffer(*ref.stdin_data),
                        [this, sid, data = ref.stdin_data](const boost::system::error_code& ec, size_t) {
                          auto it = live_.find(sid);
                          if (it == live_.end()) return;
                          if (ec) spdlog::warn("session {}: writing the context to stdin: {}", sid, ec.message());
                          it->second->stdin_pipe.reset();  // EOF: the agent starts
                        });
    } else {
      ref.stdin_pipe.reset();
    }
  }
  for (auto& out : ref.outputs) StartRead(ref, *out);
  if (auto it = ref.rec.metadata.find("timeout_ms"); it != ref.rec.metadata.end()) {
    int64_t timeout_ms = std::stoll(it->second);
    ref.timeout_timer = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(timeout_ms));
    std::string sid = ref.rec.id;
    ref.timeout_timer->async_wait([this, sid, timeout_ms](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = live_.find(sid);
      if (it == live_.end() || it->second->stop_requested) return;
      Live& l = *it->second;
      spdlog::info("session {}: timed out after {} ms; stopping it", sid, timeout_ms);
      int64_t now = NowMs();
      nlohmann::json payload = {{"timeout_ms", timeout_ms}};
      if (l.parser && l.parser->report().error) payload["last_agent_message"] = *l.parser->report().error;
      store_.Post([sid, payload, now](SQLite::Database& db) { Store::InsertEvent(db, sid, "timeout", payload, now); });
      EventRecord e{0, sid, "timeout", payload, now};
      Broadcast(sid, [&](SessionObserver* o) { o->OnEvent(e); });
      BeginStop(l, SessionAction::kFail, "timed out after " + FormatDuration(timeout_ms), options_.timeout_grace_ms);
    });
  }
  return result;
}

CreateRequest SessionManager::RequestLike(const SessionRecord& stored) const {
  // The parent's own values where this daemon still has them (see Unredact).
  auto unredacted = Unredact(stored);
  const SessionRecord& parent = unredacted.ok() ? *unredacted : stored;
  CreateRequest req;
  req.tool = parent.tool;
  req.mode = parent.mode;
  req.project_path = parent.project_path;
  req.spec_ids = parent.spec_ids;
  req.prompt = parent.prompt;
  req.command = parent.tool == "shell" ? parent.command : std::vector<std::string>{};
  req.env = parent.env;
  if (auto it = secret_env_.find(parent.id); it != secret_env_.end())
    for (const auto& [k, v] : it->second) req.env[k] = v;
  req.parent_id = parent.id;
  if (auto it = parent.metadata.find("timeout_ms"); it != parent.metadata.end()) req.timeout_ms = std::stoll(it->second);
  return req;
}

Result<SessionRecord> SessionManager::Continue(const std::string& id_or_prefix, const std::optional<std::string>& prompt,
                                               bool fallback_fresh) {
  auto parent = Get(id_or_prefix);
  if (!parent.ok()) return parent.error();
  if (!IsTerminal(parent->status))
    return Error::Conflict("session_running", "session " + parent->id + " is " + std::string(ToString(parent->status)) +
                                                  "; continue its conversation once it has ended");
  const Adapter* adapter = adapters_.Find(parent->tool);
  if (!adapter || !adapter->SupportsResume())
    return Error::Conflict("no_conversation", "the " + parent->tool + " tool has no conversation to continue");
  if (!parent->agent_session_id)
    return Error::Conflict("no_conversation", "session " + parent->id +
                                                  " never reported a conversation id (did the agent start?); use retry");
  CreateRequest req = RequestLike(*parent);
  req.prompt = prompt && !prompt->empty() ? *prompt : std::string("Continue.");
  req.resume_conversation = parent->agent_session_id;
  req.fallback_fresh = fallback_fresh;
  req.start_requested = true;
  auto rec = Create(std::move(req));
  if (!rec.ok()) return rec.error();
  auto started = Start(rec->id);
  if (!started.ok()) (void)Delete(rec->id);
  return started;
}

Result<SessionRecord> SessionManager::Retry(const std::string& id_or_prefix) {
  auto parent = Get(id_or_prefix);
  if (!parent.ok()) return parent.error();
  if (parent->status != SessionStatus::kFailed && parent->status != SessionStatus::kCancelled &&
      parent->status != SessionStatus::kInterrupted && parent->status != SessionStatus::kCompleted)
    return Error::Conflict("illegal_transition", "cannot retry a " + std::string(ToString(parent->status)) +
                                                     " session; it has not ended");
  CreateRequest req = RequestLike(*parent);
  req.start_requested = true;
  auto rec = Create(std::move(req));
  if (!rec.ok()) return rec.error();
  auto started = Start(rec->id);
  if (!started.ok()) (void)Delete(rec->id);
  return started;
}

void SessionManager::HandleLostConversation(const SessionRecord& rec, const std::string& agent_message) {
  std::string conversation = rec.metadata.count("resume_conversation") ? rec.metadata.at("resume_conversation") : "?";
  nlohmann::json payload = {{"reason", "conversation_not_found"}, {"conversation", conversation},
                            {"agent_message", agent_message}};
  std::optional<std::string> fallback_id;
  if (rec.metadata.count("fallback") && rec.metadata.at("fallback") == "fresh" && rec.parent_id) {
    // A fresh conversation seeded with what the lost one was given: the parent's context, then the
    // new prompt.
    auto parent = store_.GetSession(*rec.parent_id);
    if (parent.ok()) {
      auto fresh = Create(RequestLike(rec));
      if (fresh.ok()) {
        // Seed: the earlier context, then what this run was asked.
        SessionRecord seeded = *fresh;
        seeded.context = parent->context + "\n\n## Earlier conversation lost; continue from here\n\n" + rec.context;
        seeded.metadata["fallback_from"] = rec.id;
        (void)store_.Write([&](SQLite::Database& db) { Store::UpdateSession(db, seeded); });
        auto started = Start(seeded.id);
        if (started.ok()) fallback_id = seeded.id;
      }
    }
  }
  if (fallback_id) payload["fallback_session_id"] = *fallback_id;
  int64_t now = NowMs();
  std::string id = rec.id;
  (void)store_.Write([&](SQLite::Database& db) {
    Store::InsertEvent(db, id, "error", payload, now);
    if (fallback_id) {
      SQLite::Statement up(db, "INSERT OR REPLACE INTO session_metadata (session_id, key, value) VALUES (?, 'fallback_session_id', ?)");
      up.bind(1, id);
      up.bind(2, *fallback_id);
      up.exec();
    }
  });
  EventRecord e{0, id, "error", payload, now};
  Broadcast(id, [&](SessionObserver* o) { o->OnEvent(e); });
}

// Why `action` cannot apply to a session this daemon runs no process for: the state machine's
// refusal, or — for a record the store says is running or paused (left by an earlier daemon) —
// that there is no process to act on.
static Error NotLiveError(const SessionRecord& rec, SessionAction action) {
  auto t = Transition(rec.status, action);
  if (!t.ok()) return t.error();
  return Error::Conflict("session_not_running",
                         "no process is running for session " + rec.id + " although it is marked " +
                             std::string(ToString(rec.status)) + " (an earlier daemon left it so); `agentmux stop " +
                             rec.id.substr(0, 13) + "` marks it ended");
}

Result<SessionRecord> SessionManager::Pause(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  auto it = live_.find(got->id);
  if (it == live_.end()) return NotLiveError(*got, SessionAction::kPause);
  Live& live = *it->second;
  if (auto t = Transition(live.rec.status, SessionAction::kPause); !t.ok()) return t.error();
  SignalGroup(live, SIGSTOP);
  auto paused = ApplyTransition(live.rec, SessionAction::kPause, "paused", {{"signal", "SIGSTOP"}});
  if (!paused.ok()) SignalGroup(live, SIGCONT);  // not recorded: leave it running as it says
  return paused;
}

Result<SessionRecord> SessionManager::Resume(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  auto it = live_.find(got->id);
  if (it == live_.end()) {
    if (got->status != SessionStatus::kInterrupted) return NotLiveError(*got, SessionAction::kResume);
    const Adapter* adapter = adapters_.Find(got->tool);
    if (!adapter || !adapter->SupportsResume() || !got->agent_session_id)
      return Error::Conflict("no_conversation",
                             "session " + got->id + " was interrupted, but its agent (" + got->tool +
                                 ") left no conversation to resume; start it again with `agentmux retry " +
                                 got->id.substr(0, 13) + "`");
    SessionRecord rec = std::move(*got);
    rec.metadata["resume_conversation"] = *rec.agent_session_id;
    rec.context = "Your previous run was interrupted before it finished. Continue the task where you left off.\n";
    rec.error.reset();
    rec.ended_at.reset();
    rec.exit_code.reset();
    rec.signal.reset();
    return Launch(std::move(rec), SessionAction::kResume, "resumed_conversation");
  }
  Live& live = *it->second;
  if (live.rec.status != SessionStatus::kPaused) {
    auto t = Transition(live.rec.status, SessionAction::kResume);
    return t.ok() ? Error::Conflict("illegal_transition", "session " + live.rec.id + " is not paused") : t.error();
  }
  SignalGroup(live, SIGCONT);
  auto resumed = ApplyTransition(live.rec, SessionAction::kResume, "resumed", {{"signal", "SIGCONT"}});
  if (!resumed.ok()) SignalGroup(live, SIGSTOP);
  return resumed;
}

void SessionManager::SignalGroup(Live& live, int sig) {
  if (live.pid > 0) {
    ::kill(-live.pid, sig);
  } else if (live.rec.pid) {
    // The leader was reaped; its group may still have members (a grandchild holding the PTY).
    ::kill(-*live.rec.pid, sig);
  }
}

Result<SessionRecord> SessionManager::Stop(const std::string& id_or_prefix, std::optional<int64_t> grace_ms) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  auto it = live_.find(got->id);
  if (it == live_.end()) {
    SessionRecord rec = *got;
    if (rec.status == SessionStatus::kPending) {
      rec.ended_at = NowMs();
      return ApplyTransition(rec, SessionAction::kStop, "cancelled", {{"reason", "stopped before it started"}});
    }
    if (rec.status == SessionStatus::kRunning || rec.status == SessionStatus::kPaused) {
      // Marked running, but no process of this daemon's: a record an earlier daemon left (issue
      // 11: `stop` used to fail with HTTP 500 here and `rm` refused it forever).
      rec.pid.reset();
      rec.ended_at = NowMs();
      rec.error = "stopped: no process was running for it";
      return ApplyTransition(rec, SessionAction::kStop, "cancelled",
                             {{"reason", "no process was running for this session (left by an earlier daemon)"}});
    }
    return Transition(rec.status, SessionAction::kStop).error();
  }
  Live& live = *it->second;
  if (auto t = Transition(live.rec.status, SessionAction::kStop); !t.ok()) return t.error();
  if (live.stop_requested) return live.rec;  // already on its way down
  BeginStop(live, SessionAction::kStop, "stopped by request",
            std::max<int64_t>(0, grace_ms.value_or(options_.default_grace_ms)));
  return live.rec;
}

void SessionManager::BeginStop(Live& live, SessionAction action, const std::string& reason, int64_t grace_ms) {
  live.stop_requested = true;
  live.stop_action = action;
  live.stop_reason = reason;
  SignalGroup(live, SIGTERM);
  if (live.rec.status == SessionStatus::kPaused) SignalGroup(live, SIGCONT);  // a stopped process cannot handle SIGTERM
  live.kill_timer = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(grace_ms));
  std::string sid = live.rec.id;
  live.kill_timer->async_wait([this, sid](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = live_.find(sid);
    if (it == live_.end()) return;
    spdlog::info("session {}: grace period over, SIGKILL to the process group", sid);
    SignalGroup(*it->second, SIGKILL);
  });
}

Status SessionManager::Delete(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (live_.count(got->id) || got->status == SessionStatus::kRunning || got->status == SessionStatus::kPaused)
    return Error::Conflict("session_running", "session " + got->id + " is " + std::string(ToString(got->status)) +
                                                  "; stop it first (`agentmux stop " + got->id.substr(0, 13) + "`)");
  std::string id = got->id;
  Status st = store_.Write([&](SQLite::Database& db) {
    SQLite::Statement del(db, "DELETE FROM sessions WHERE id = ?");
    del.bind(1, id);
    del.exec();
  });
  if (st.ok()) {
    secret_env_.erase(id);
    unredacted_.erase(id);
    std::vector<SessionObserver*> copy(watchers_.begin(), watchers_.end());
    for (auto* w : copy)
      if (watchers_.count(w)) w->OnDeleted(id);
  }
  return st;
}

Status SessionManager::WriteInput(const std::string& id, const std::string& bytes) {
  auto it = live_.find(id);
  if (it == live_.end()) return Error::Conflict("session_not_running", "session " + id + " is not running");
  Live& live = *it->second;
  if (!live.pty || !live.pty->open)
    return Error::Conflict("not_a_terminal", "session " + id + " has no terminal to type into (it runs with pipes)");
  // Small writes to a PTY master do not block in practice; a full terminal buffer drops input
  // rather than stalling the loop.
  ssize_t n = ::write(live.pty->fd->native_handle(), bytes.data(), bytes.size());
  if (n < 0 && errno != EAGAIN) return SysError("write to the terminal", errno);
  return OkStatus();
}

Status SessionManager::Resize(const std::string& id, unsigned short cols, unsigned short rows) {
  auto it = live_.find(id);
  if (it == live_.end()) return Error::Conflict("session_not_running", "session " + id + " is not running");
  Live& live = *it->second;
  if (!live.pty || !live.pty->open) return Error::Conflict("not_a_terminal", "session " + id + " has no terminal");
  if (cols == 0 || rows == 0) return Error::InvalidArgument("bad_size", "cols and rows must be positive");
  if (auto st = SetWindowSize(live.pty->fd->native_handle(), cols, rows); !st.ok()) return st;
  // Viewers that join later draw at the terminal's current width.
  if (live.rec.metadata["pty_cols"] != std::to_string(cols) || live.rec.metadata["pty_rows"] != std::to_string(rows)) {
    live.rec.metadata["pty_cols"] = std::to_string(cols);
    live.rec.metadata["pty_rows"] = std::to_string(rows);
    SessionRecord snapshot = live.rec;
    store_.Post([snapshot](SQLite::Database& db) { Store::UpdateSession(db, snapshot); });
    NotifyStatus(snapshot);
  }
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Output

void SessionManager::StartRead(Live& live, Output& out) {
  // Backpressure: only the log writer may slow an agent. When the store queue is full, or the store
  // cannot write at all (disk full), wait: the agent blocks on a full PTY or pipe, as it would
  // under a slow terminal, and no byte is read that could not be kept.
  bool unwritable = !store_.writable();
  if (unwritable || store_.pending_log_bytes() > options_.max_pending_log_bytes) {
    if (!live.backoff_timer) live.backoff_timer = std::make_unique<asio::steady_timer>(io_);
    live.backoff_timer->expires_after(std::chrono::milliseconds(unwritable ? 50 : 5));
    std::string sid = live.rec.id;
    Output* o = &out;
    live.backoff_timer->async_wait([this, sid, o](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = live_.find(sid);
      if (it != live_.end()) StartRead(*it->second, *o);
    });
    return;
  }
  std::string sid = live.rec.id;
  Output* o = &out;
  // Wait for readiness, then take everything buffered (up to kReadSize) into the shared buffer:
  // a flood becomes few large chunks (fewer rows, messages and wake-ups), a trickle still goes out
  // at once, and 1,000 idle sessions hold no read buffer each.
  out.fd->async_wait(asio::posix::stream_descriptor::wait_read, [this, sid, o](const boost::system::error_code& ec) {
    auto it = live_.find(sid);
    if (it == live_.end() || ec == asio::error::operation_aborted) return;
    Live& live = *it->second;
    bool closed = static_cast<bool>(ec);
    size_t n = closed ? 0 : ReadAvailable(*o, &closed);
    if (n > 0) OnOutput(live, *o, std::string_view(read_buf_.data(), n));
    // EIO on a PTY master = every slave fd closed; EOF on a pipe = every writer closed.
    if (closed) {
      OnOutputClosed(live, *o);
      return;
    }
    StartRead(live, *o);
  });
}

size_t SessionManager::ReadAvailable(Output& out, bool* closed) {
  size_t n = 0;
  while (n < kReadSize) {
    ssize_t r = ::read(out.fd->native_handle(), read_buf_.data() + n, kReadSize - n);
    if (r > 0) {
      n += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) *closed = true;
      break;
    }
  }
  return n;
}

void SessionManager::OnOutput(Live& live, Output& out, std::string_view raw) {
  // Secrets never reach the store or a subscriber, even when split across reads or interrupted by
  // terminal escapes (proc/redact.h).
  std::string safe = out.redactor->Feed(raw);
  if (!safe.empty()) EmitChunk(live, out.level, std::move(safe));
}

void SessionManager::EmitChunk(Live& live, const std::string& level, std::string data) {
  auto chunk = std::make_shared<LogChunk>();
  chunk->session_id = live.rec.id;
  chunk->seq = live.next_seq++;
  chunk->offset = live.offset;
  chunk->ts = NowMs();
  chunk->level = level;
  chunk->data = std::move(data);
  chunk->line_count = std::count(chunk->data.begin(), chunk->data.end(), '\n');
  live.offset += static_cast<int64_t>(chunk->data.size());
  live.rec.log_seq = chunk->seq;
  live.rec.log_bytes = live.offset;
  LogChunkPtr ptr = chunk;
  store_.AppendLog(ptr);
  live.uncommitted.push_back(ptr);
  Broadcast(live.rec.id, [&](SessionObserver* o) { o->OnLog(ptr); });
  if (level == "stderr") {
    live.stderr_tail += ptr->data;
    if (live.stderr_tail.size() > 8192) live.stderr_tail.erase(0, live.stderr_tail.size() - 8192);
  }
  if (live.parser && level != "stderr") {
    try {
      bool changed = live.parser->Feed(ptr->data);
      DrainAgentEvents(live);
      if (changed) ApplyReport(live);
    } catch (const std::exception& e) {
      ParserFailed(live, e.what());
    }
  }
}

// Last line of defence for agent output (untrusted input): a parser that throws despite its own
// guards stops reading this session's structured output; the log keeps every byte, the session
// and every other session go on, and its events say why.
void SessionManager::ParserFailed(Live& live, const std::string& what) {
  spdlog::error("session {}: the {} output parser failed ({}); its output is still stored", live.rec.id, live.rec.tool,
                what);
  live.parser.reset();
  int64_t now = NowMs();
  std::string sid = live.rec.id;
  nlohmann::json payload = {{"message", "agentmux stopped reading the agent's structured output: " + what}};
  store_.Post([sid, payload, now](SQLite::Database& db) { Store::InsertEvent(db, sid, "parse_error", payload, now); });
  EventRecord e{0, sid, "parse_error", payload, now};
  Broadcast(sid, [&](SessionObserver* o) { o->OnEvent(e); });
}

// Stores the parser's normalised events (turns, tool calls, errors) behind the chunks already
// queued, and tells the session's observers.
void SessionManager::DrainAgentEvents(Live& live) {
  auto events = live.parser->TakeEvents();
  if (events.empty()) return;
  int64_t ts = NowMs();
  std::string sid = live.rec.id;
  store_.Post([sid, events, ts](SQLite::Database& db) {
    for (const auto& e : events) Store::InsertEvent(db, sid, e.type, e.data, ts);
  });
  for (const auto& e : events) {
    EventRecord rec{0, sid, e.type, e.data, ts};
    Broadcast(sid, [&](SessionObserver* o) { o->OnEvent(rec); });
  }
}

void SessionManager::ApplyReport(Live& live) {
  const AgentReport& r = live.parser->report();
  SessionRecord& rec = live.rec;
  bool new_conversation = r.agent_session_id && rec.agent_session_id != r.agent_session_id;
  std::optional<Usage> before_usage = rec.usage;
  std::optional<double> before_cost = rec.cost_usd;
  if (r.agent_session_id) rec.agent_session_id = r.agent_session_id;
  // What this run used: a cumulative figure includes the conversation's earlier runs.
  if (r.usage) {
    Usage run = r.usage_cumulative ? *r.usage - live.base_conv : *r.usage;
    rec.usage = live.base_own + run;
    rec.conversation_usage = live.base_conv + run;
  }
  if (r.cost_usd) {
    double run = r.cost_cumulative ? std::max(0.0, *r.cost_usd - live.base_conv_cost) : *r.cost_usd;
    rec.cost_usd = live.base_own_cost + run;
    rec.conversation_cost_usd = live.base_conv_cost + run;
  }
  bool new_usage = (r.usage && (!before_usage || before_usage->total() != rec.usage->total())) ||
                   (r.cost_usd && before_cost != rec.cost_usd);
  if (r.num_turns) rec.num_turns = r.num_turns;
  if (r.is_error.value_or(false) && r.error) rec.error = r.error;
  if (r.model) rec.metadata["model"] = *r.model;
  if (r.agent_version) rec.metadata["agent_version"] = *r.agent_version;
  if (!new_conversation && !new_usage) return;
  rec.updated_at = NowMs();
  SessionRecord snapshot = rec;
  nlohmann::json usage_payload;
  if (new_usage) {
    Usage own = rec.usage.value_or(Usage{});
    usage_payload = {{"input_tokens", own.input_tokens},
                     {"output_tokens", own.output_tokens},
                     {"cache_read_tokens", own.cache_read_tokens},
                     {"cache_creation_tokens", own.cache_creation_tokens},
                     {"cost_usd", rec.cost_usd ? nlohmann::json(*rec.cost_usd) : nlohmann::json(nullptr)},
                     {"conversation_token_count", rec.conversation_usage ? nlohmann::json(rec.conversation_usage->total()) : nlohmann::json(nullptr)},
                     {"conversation_cost_usd", rec.conversation_cost_usd ? nlohmann::json(*rec.conversation_cost_usd) : nlohmann::json(nullptr)},
                     {"reported_cumulative", r.usage_cumulative},
                     {"num_turns", r.num_turns ? nlohmann::json(*r.num_turns) : nlohmann::json(nullptr)},
                     {"is_error", r.is_error.value_or(false)}};
  }
  // Not a status change: queue it behind the chunks already read, no need to wait.
  std::string sid = rec.id;
  store_.Post([snapshot, usage_payload, new_usage](SQLite::Database& db) {
    Store::UpdateSession(db, snapshot);
    if (new_usage) Store::InsertEvent(db, snapshot.id, "usage", usage_payload, snapshot.updated_at);
  });
  if (new_usage) {
    EventRecord e{0, sid, "usage", usage_payload, snapshot.updated_at};
    Broadcast(sid, [&](SessionObserver* o) { o->OnEvent(e); });
  }
  NotifyStatus(snapshot);
}

void SessionManager::OnOutputClosed(Live& live, Output& out) {
  if (!out.open) return;
  out.open = false;
  if (out.redactor) {
    std::string rest = out.redactor->Flush();
    if (!rest.empty()) EmitChunk(live, out.level, std::move(rest));
  }
  boost::system::error_code ignored;
  out.fd->close(ignored);
  MaybeFinish(live);
}

void SessionManager::OnCommitted(std::vector<std::pair<std::string, int64_t>> committed) {
  for (const auto& [id, seq] : committed) {
    auto it = live_.find(id);
    if (it == live_.end()) continue;
    Live& live = *it->second;
    live.committed_seq = std::max(live.committed_seq, seq);
    while (!live.uncommitted.empty() && live.uncommitted.front()->seq <= live.committed_seq)
      live.uncommitted.pop_front();
  }
}

// ---------------------------------------------------------------------------------------------
// Exit

void SessionManager::OnChildExit(pid_t pid, int wait_status) {
  for (auto& [id, live] : live_) {
    if (live->pid != pid) continue;
    live->exit = DecodeWaitStatus(wait_status);
    live->pid = -1;  // reaped: never signal this pid again
    if (live->stop_requested) {
      // Stop means no process of the group is left: end stragglers (a grandchild) too.
      SignalGroup(*live, SIGKILL);
    }
    MaybeFinish(*live);
    return;
  }
}

void SessionManager::MaybeFinish(Live& live) {
  if (!live.exit || live.finishing) return;
  bool all_closed = std::all_of(live.outputs.begin(), live.outputs.end(), [](const auto& o) { return !o->open; });
  if (all_closed) {
    BeginFinish(live);
    return;
  }
  // The leader is gone but something (a grandchild) still holds the terminal or pipe: give it a
  // moment to drain, then end the group and close.
  if (live.drain_timer) return;
  live.drain_timer = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(options_.drain_ms));
  std::string sid = live.rec.id;
  live.drain_timer->async_wait([this, sid](const boost::system::error_code& ec) {
    if (ec) return;
    auto it = live_.find(sid);
    if (it == live_.end()) return;
    Live& l = *it->second;
    spdlog::info("session {}: output still open {} ms after exit; ending the process group", sid, options_.drain_ms);
    SignalGroup(l, SIGKILL);
    for (auto& o : l.outputs) {
      if (!o->open) continue;
      // Take what is still buffered, without waiting.
      for (bool closed = false; !closed;) {
        size_t n = ReadAvailable(*o, &closed);
        if (n == 0) break;
        OnOutput(l, *o, std::string_view(read_buf_.data(), n));
      }
      OnOutputClosed(l, *o);
    }
  });
}

void SessionManager::BeginFinish(Live& live) {
  live.finishing = true;
  if (live.parser) {
    try {
      bool changed = live.parser->Finish();
      DrainAgentEvents(live);
      if (changed) ApplyReport(live);
    } catch (const std::exception& e) {
      ParserFailed(live, e.what());
    }
  }
  // A session leaves no process behind, including processes that left its process group (setsid:
  // e.g. the Codex TUI's app-server daemon), found by AGENTMUX_SESSION_ID in their environment.
  // Scanning /proc takes a while with many processes: off the loop.
  std::string sid = live.rec.id;
  std::weak_ptr<bool> alive = alive_;
  asio::post(blocking_, [this, alive, sid] {
    auto escaped = KillEscapees(sid);
    asio::post(io_, [this, alive, sid, escaped = std::move(escaped)]() mutable {
      if (!alive.lock()) return;
      auto it = live_.find(sid);
      if (it == live_.end()) return;
      it->second->escaped = std::move(escaped);
      DecideFinish(*it->second);
      Finish(*it->second);
    });
  });
}

void SessionManager::DecideFinish(Live& live) {
  const std::vector<int>& escaped = live.escaped;
  if (!escaped.empty()) spdlog::info("session {}: killed {} process(es) that left its process group", live.rec.id, escaped.size());
  if (!live.tmp_dir.empty()) RemoveTree(live.tmp_dir);
  SessionRecord& rec = live.rec;
  const ExitStatus& exit = *live.exit;
  rec.exit_code = exit.exit_code;
  rec.signal = exit.signal ? std::optional(SignalName(*exit.signal)) : std::nullopt;
  rec.pid.reset();
  rec.ended_at = NowMs();
  rec.duration_ms = MonotonicMs() - live.started_mono;
  bool agent_error = live.parser && live.parser->report().is_error.value_or(false);
  std::optional<std::string> lost_conversation;

  SessionAction action;
  std::string event_type;
  nlohmann::json payload = {{"exit_code", exit.exit_code ? nlohmann::json(*exit.exit_code) : nlohmann::json(nullptr)},
                            {"signal", rec.signal ? nlohmann::json(*rec.signal) : nlohmann::json(nullptr)},
                            {"duration_ms", *rec.duration_ms}};
  if (live.stop_requested && live.stop_action == SessionAction::kFail) {
    action = SessionAction::kFail;  // e.g. --timeout: the agent did not finish, nobody cancelled it
    event_type = "failed";
    rec.error = live.stop_reason;
    if (live.parser && live.parser->report().error) *rec.error += " (the agent last said: " + *live.parser->report().error + ")";
    payload["reason"] = *rec.error;
  } else if (live.stop_requested) {
    action = live.stop_action.value_or(SessionAction::kStop);
    event_type = action == SessionAction::kInterrupt ? "interrupted" : "cancelled";
    payload["reason"] = live.stop_reason;
  } else if (exit.exit_code == 0 && !agent_error) {
    action = SessionAction::kComplete;
    event_type = "completed";
  } else {
    action = SessionAction::kFail;
    event_type = "failed";
    if (rec.metadata.count("resume_conversation")) {
      const Adapter* adapter = adapters_.Find(rec.tool);
      std::string said = live.parser && live.parser->report().error ? *live.parser->report().error : "";
      if (adapter && adapter->ConversationNotFound(said, live.stderr_tail)) {
        lost_conversation = said.empty() ? live.stderr_tail : said;
        rec.error = "the agent no longer knows conversation " + rec.metadata["resume_conversation"] +
                    (rec.metadata.count("fallback") ? "; a fresh conversation seeded with the earlier context was started"
                                                    : "; continue with --fallback fresh to start a fresh conversation "
                                                      "seeded with the earlier context") +
                    " (agent: " + lost_conversation->substr(0, 300) + ")";
        agent_error = true;
      }
    }
    if (agent_error) payload["reason"] = rec.error.value_or("the agent reported an error");
    else if (exit.signal) rec.error = "killed by " + *rec.signal;
    else rec.error = "exited with code " + std::to_string(exit.exit_code.value_or(-1));
    if (!agent_error) {
      // Say why, in the agent's own words when there are any.
      if (live.parser && live.parser->report().error) *rec.error += " (the agent last said: " + *live.parser->report().error + ")";
      else if (auto line = ErrorLine(live.stderr_tail); !line.empty()) *rec.error += " (stderr: " + line + ")";
    }
    if (!payload.contains("reason")) payload["reason"] = *rec.error;
  }
  if (!escaped.empty()) payload["killed_escaped_pids"] = escaped;
  if (rec.usage) payload["token_count"] = rec.usage->total();
  if (rec.cost_usd) payload["cost_usd"] = *rec.cost_usd;
  // A paused session that died goes running|paused → failed directly (allowed by the machine).
  SessionRecord snapshot = rec;
  auto next = Transition(rec.status, action);
  if (!next.ok()) {
    spdlog::error("session {}: {}", rec.id, next.error().message);
    next = SessionStatus::kFailed;
  }
  snapshot.status = *next;
  payload["from"] = ToString(rec.status);
  payload["to"] = ToString(snapshot.status);
  live.final_rec = std::move(snapshot);
  live.final_event = event_type;
  live.final_payload = std::move(payload);
  live.lost_conversation = std::move(lost_conversation);
  live.final_ready = true;
}

// Records the end decided by DecideFinish: output_closed and the final status in one batch, both
// after the last chunk. While the store cannot write (disk full) the session stays as it is and
// this runs again; it never ends claiming more output than is stored.
void SessionManager::Finish(Live& live) {
  const std::string id = live.rec.id;
  auto retry_later = [this, &live, id] {
    if (!live.finish_timer) live.finish_timer = std::make_unique<asio::steady_timer>(io_);
    live.finish_timer->expires_after(std::chrono::milliseconds(250));
    live.finish_timer->async_wait([this, id](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = live_.find(id);
      if (it != live_.end()) Finish(*it->second);
    });
  };
  if (!store_.writable()) return retry_later();
  SessionRecord snapshot = live.final_rec;
  snapshot.updated_at = NowMs();
  int64_t chunks = snapshot.log_seq, bytes = snapshot.log_bytes;
  int64_t first_event = 0;
  Status st = store_.Write([&](SQLite::Database& db) {
    first_event = Store::InsertEvent(db, id, "output_closed", {{"chunks", chunks}, {"bytes", bytes}}, snapshot.updated_at);
    Store::UpdateSession(db, snapshot);
    Store::InsertEvent(db, id, live.final_event, live.final_payload, snapshot.updated_at);
  });
  if (!st.ok()) {
    if (st.error().code == "store_unavailable") return retry_later();
    spdlog::error("session {}: could not record its end: {}", id, st.error().message);
  }
  const ExitStatus& exit = *live.exit;
  spdlog::info("session {} {}: exit {} signal {} ({} bytes)", id, ToString(snapshot.status),
               exit.exit_code.value_or(-1), snapshot.signal.value_or("-"), bytes);
  std::optional<std::string> lost_conversation = live.lost_conversation;
  SessionRecord copy = snapshot;
  auto node = live_.extract(id);  // keep Live alive until the end of this scope
  NotifyStatus(copy);
  BroadcastEvents(id, first_event - 1);
  if (lost_conversation) HandleLostConversation(copy, *lost_conversation);
}

// ---------------------------------------------------------------------------------------------
// Recovery and shutdown

void SessionManager::Recover() {
  std::vector<std::string> left;
  for (const auto& id : store_.SessionIdsWithStatus({"running", "paused"}))
    if (!live_.count(id)) left.push_back(id);
  // One /proc scan ends everything the dead daemon's sessions still run — their process groups and
  // processes that left them (setsid) — which nobody can watch any more.
  std::set<std::string> ids(left.begin(), left.end());
  auto killed = KillProcessesOf(ids);
  bool retry = false;
  for (const auto& id : left) {
    auto rec = store_.GetSession(id);
    if (!rec.ok()) continue;
    nlohmann::json payload = {{"reason", "the daemon that ran this session stopped unexpectedly"}};
    if (rec->pid && ProcessBelongsTo(*rec->pid, id)) ::kill(-*rec->pid, SIGKILL);
    if (auto it = killed.find(id); it != killed.end()) payload["killed_pids"] = it->second;
    auto [seq, bytes] = store_.LogExtent(id);
    rec->log_seq = seq;
    rec->log_bytes = bytes;
    rec->pid.reset();
    rec->ended_at = NowMs();
    rec->error = "interrupted: the daemon stopped while the session ran";
    auto st = ApplyTransition(*rec, SessionAction::kInterrupt, "interrupted", payload);
    if (st.ok()) spdlog::warn("session {} was left running by a previous daemon; marked interrupted", id);
    else retry = true;
  }
  // A create-and-start that a crash cut between its two steps left a session pending that nobody
  // will start: end it, saying why.
  for (const auto& id : store_.SessionIdsWithStatus({"pending"})) {
    if (live_.count(id)) continue;
    auto rec = store_.GetSession(id);
    if (!rec.ok() || !rec->metadata.count("start_requested")) continue;
    rec->ended_at = NowMs();
    rec->error = "the daemon stopped before this session could start";
    auto st = ApplyTransition(*rec, SessionAction::kStop, "cancelled",
                              {{"reason", "the daemon stopped before this session could start"}});
    if (st.ok()) spdlog::warn("session {} was created to start but never started; marked cancelled", id);
    else retry = true;
  }
  if (!retry) return;
  // The store cannot write yet (a daemon started on a full disk): try again until it can.
  spdlog::error("recovery could not record every session's state ({}); retrying", store_.health());
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
  std::weak_ptr<bool> alive = alive_;
  timer->async_wait([this, alive, timer](const boost::system::error_code& ec) {
    if (!ec && alive.lock()) Recover();
  });
}

void SessionManager::OnStoreHealth(bool writable, const std::string& health) {
  int64_t now = NowMs();
  if (!writable) {
    if (store_stalled_since_) return;
    store_stalled_since_ = now;
    store_stall_reason_ = health;
    spdlog::error("the store cannot write ({}): reading agents' output is paused until it can; nothing is lost",
                  health);
    for (auto& [id, live] : live_) {
      EventRecord e{0, id, "store_unavailable", {{"reason", health}}, now};
      Broadcast(id, [&](SessionObserver* o) { o->OnEvent(e); });
    }
    return;
  }
  if (!store_stalled_since_) return;
  nlohmann::json payload = {{"reason", store_stall_reason_}, {"stalled_ms", now - *store_stalled_since_},
                            {"from", Rfc3339(*store_stalled_since_)}, {"to", Rfc3339(now)}};
  spdlog::info("the store writes again after {} ms; agents' output is read again", now - *store_stalled_since_);
  store_stalled_since_.reset();
  // Each live session's history says its output was held back while the disk was full.
  for (auto& [id, live] : live_) {
    std::string sid = id;
    store_.Post([sid, payload, now](SQLite::Database& db) { Store::InsertEvent(db, sid, "store_stalled", payload, now); });
    EventRecord e{0, sid, "store_stalled", payload, now};
    Broadcast(sid, [&](SessionObserver* o) { o->OnEvent(e); });
  }
}

void SessionManager::Shutdown(int64_t deadline_ms, std::function<void()> done) {
  if (live_.empty()) {
    done();
    return;
  }
  for (auto& [id, live] : live_) {
    if (live->stop_requested) continue;
    live->stop_requested = true;
    live->stop_action = SessionAction::kInterrupt;
    live->stop_reason = "the daemon shut down";
    SignalGroup(*live, SIGTERM);
    if (live->rec.status == SessionStatus::kPaused) SignalGroup(*live, SIGCONT);
  }
  auto timer = std::make_shared<asio::steady_timer>(io_);
  auto waited = std::make_shared<int64_t>(0);
  auto tick = std::make_shared<std::function<void()>>();
  *tick = [this, timer, waited, tick, deadline_ms, done] {
    if (live_.empty()) {
      done();
      *tick = nullptr;
      return;
    }
    if (*waited >= deadline_ms / 2)
      for (auto& [id, live] : live_) SignalGroup(*live, SIGKILL);
    if (*waited >= deadline_ms + 2000) {
      spdlog::error("shutdown: {} sessions did not end in time", live_.size());
      done();
      *tick = nullptr;
      return;
    }
    *waited += 50;
    timer->expires_after(std::chrono::milliseconds(50));
    timer->async_wait([tick](const boost::system::error_code&) {
      if (*tick) (*tick)();
    });
  };
  (*tick)();
}

}  // namespace agentmux
