// The session engine across daemons: Recover() at start (reattach what shims kept, interrupt what
// is gone) and Detach() for a planned restart. See manager.h.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <set>

#include "base/clock.h"
#include "proc/process_scan.h"
#include "proc/redact.h"
#include "session/live.h"

namespace agentmux {
namespace asio = boost::asio;

void SessionManager::Recover() {
  std::vector<std::string> left;
  std::set<std::string> running;
  for (const auto& id : store_.SessionIdsWithStatus({"running", "paused"})) {
    running.insert(id);
    if (live_.count(id)) continue;
    // Parents (plans) run no process: their driver (ParentDriver::Recover) settles them after this.
    if (auto rec = store_.GetSession(id); rec.ok() && rec->kind != SessionKind::kAgent) continue;
    // Its shim kept the process: take it back.
    if (auto held = launcher_.Reattach(id); held.ok()) {
      if (auto rec = store_.GetSession(id); rec.ok()) {
        Adopt(std::move(*rec), std::move(*held));
        continue;
      }
    } else if (held.error().code != "no_shim") {
      spdlog::warn("session {}: {}", id, held.error().message);
    }
    left.push_back(id);
  }
  // Shims of sessions that ended (their end was recorded, the release was not delivered) or were
  // deleted: end what they hold and let them go.
  for (const auto& id : launcher_.Held()) {
    if (running.count(id)) continue;
    auto held = launcher_.Reattach(id);
    if (!held.ok()) continue;
    pid_t pid = held->process.pid;
    if (held->exit_status) {
      launcher_.Release(pid);
    } else {
      released_on_exit_.insert(pid);
      launcher_.SignalGroup(pid, SIGKILL);
    }
  }
  // One /proc scan ends everything the dead daemon's sessions still run — their process groups and
  // processes that left them (setsid) — which nobody can watch any more.
  std::set<std::string> ids(left.begin(), left.end());
  auto killed = KillProcessesOf(ids);
  bool retry = false;
  for (const auto& id : left) {
    auto rec = store_.GetSession(id);
    if (!rec.ok()) continue;
    nlohmann::json payload = {{"reason", "the daemon that ran this session stopped unexpectedly"}};
    if (rec->pid && ProcessBelongsTo(*rec->pid, id)) ::kill(-*rec->pid, SIGKILL);  // the group, to be sure
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

void SessionManager::Adopt(SessionRecord rec, ProcessLauncher::Reattached held) {
  const std::string id = rec.id;
  // The log goes on from what is stored: what an earlier daemon read but had not committed when
  // it died is the only possible loss, and the sequence stays gap-free.
  auto [seq, bytes] = store_.LogExtent(id);
  int64_t claimed_seq = rec.log_seq;
  rec.log_seq = seq;
  rec.log_bytes = bytes;
  rec.pid = held.process.pid;
  auto live = std::make_unique<Live>(rec, seq, bytes);
  int64_t ran_ms = rec.started_at ? std::max<int64_t>(0, NowMs() - *rec.started_at) : 0;
  live->started_mono = timers_.NowMs() - ran_ms;
  if (std::string tmp = options_.tmp_root + "/" + id; !options_.tmp_root.empty() && std::filesystem::exists(tmp))
    live->tmp_dir = tmp;
  EnvMap env = BuildEnv(rec, LaunchPlan{});  // as the process got it, but for its adapter's additions
  // The agent's structured output is parsed from here on; usage the CLI reports per run counts
  // from zero again (what the earlier daemon had recorded stays in the record).
  if (const Adapter* adapter = adapters_.Find(rec.tool)) live->parser = adapter->NewParser(rec, env);
  auto pty_size = [&](const char* key) { return static_cast<unsigned short>(std::atoi(MetaOr(rec, key).c_str())); };
  InitScreen(*live, pty_size("pty_cols") ? pty_size("pty_cols") : 120, pty_size("pty_rows") ? pty_size("pty_rows") : 40);
  std::vector<std::string> env_list;
  for (const auto& [k, v] : rec.env) env_list.push_back(k + "=" + v);
  live->proc = std::make_unique<Supervisor>(io_, launcher_, timers_, std::move(held.process),
                                            Redactor::SecretsFromEnv(env_list), HooksFor(id), options_.drain_ms);
  live->rec = rec;
  Live& ref = *live;
  live_[id] = std::move(live);
  nlohmann::json payload = {{"pid", *rec.pid}, {"log_seq", seq}, {"log_bytes", bytes}};
  if (claimed_seq > seq) payload["lost_chunks"] = claimed_seq - seq;  // read but never committed
  if (held.exit_status) payload["ended_while_detached"] = true;
  int64_t now = NowMs();
  int64_t first_event = 0;
  ref.rec.updated_at = now;
  Status st = store_.Write([&](StoreTxn& tx) {
    first_event = tx.InsertEvent(id, "reattached", payload, now);
    tx.UpdateSession(ref.rec);
  });
  if (!st.ok()) spdlog::error("session {}: could not record its reattachment: {}", id, st.error().message);
  spdlog::info("session {} reattached: pid {} (log at seq {})", id, *rec.pid, seq);
  ref.proc->Start(std::nullopt);
  if (auto it = ref.rec.metadata.find("timeout_ms"); it != ref.rec.metadata.end()) {
    try {
      StartTimeout(ref, std::max<int64_t>(0, std::stoll(it->second) - ran_ms));
    } catch (const std::exception&) {
    }
  }
  Notify(ref.rec);
  if (first_event > 0) PublishEvents(id, first_event - 1);
  if (held.exit_status) ref.proc->OnExit(*held.exit_status);
}

void SessionManager::Detach() {
  for (auto& [id, live] : live_) {
    live->proc->Detach();  // what the redactors held goes to the log first
    live->timeout_timer.reset();
  }
  // Everything read is committed before the daemon goes: a planned restart loses no byte.
  store_.Flush();
  launcher_.DetachAll();
  live_.clear();  // nothing to signal at destruction: the shims keep the agents
}

}  // namespace agentmux
