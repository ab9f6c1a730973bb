// The end of a session (its process gone and its output drained), recovery of what a dead daemon
// left, and shutdown.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "proc/process_scan.h"
#include "session/conversation.h"
#include "session/live.h"

namespace agentmux {
namespace asio = boost::asio;

namespace {

// The line of a CLI's stderr that says why it failed: the last one starting with "Error" (any
// case), else the last non-blank one; without ANSI colour codes, at most 300 bytes.
std::string ErrorLine(const std::string& text) {
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

// Removes a private TMPDIR and what the agent left in it; failures are logged, never fatal.
void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) spdlog::warn("could not remove {}: {}", dir, ec.message());
}

}  // namespace

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
    auto killed = KillProcessesOf({sid});
    std::vector<int> escaped = killed.count(sid) ? killed[sid] : std::vector<int>{};
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
  const ExitStatus& exit = *live.proc->exit();
  rec.exit_code = exit.exit_code;
  rec.signal = exit.signal ? std::optional(SignalName(*exit.signal)) : std::nullopt;
  rec.pid.reset();
  rec.ended_at = NowMs();
  rec.duration_ms = timers_.NowMs() - live.started_mono;
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
    if (const Adapter* adapter = adapters_.Find(rec.tool)) {
      std::string said = live.parser && live.parser->report().error ? *live.parser->report().error : "";
      lost_conversation = LostConversation(*adapter, rec, said, live.stderr_tail);
      if (lost_conversation) {
        rec.error = LostConversationError(rec, *lost_conversation);
        rec.metadata["lost_conversation"] = *lost_conversation;  // for a plan's fallback (workflow/)
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
  if (finish_hook_ && !live.finish_hooked) {
    live.finish_hooked = true;
    finish_hook_(live.final_rec);
  }
  SessionRecord snapshot = live.final_rec;
  snapshot.updated_at = NowMs();
  // Ended: nobody waits at its prompt any more; a person is told it is done (attention.cc).
  bool ended_attention = WantsEndedAttention(snapshot);
  snapshot.attention.reset();
  if (ended_attention) snapshot.attention = Attention{AttentionReason::kEnded, snapshot.updated_at, ""};
  int64_t chunks = snapshot.log_seq, bytes = snapshot.log_bytes;
  int64_t first_event = 0;
  Status st = store_.Write([&](StoreTxn& tx) {
    first_event = tx.InsertEvent(id, "output_closed", {{"chunks", chunks}, {"bytes", bytes}}, snapshot.updated_at);
    tx.UpdateSession(snapshot);
    tx.InsertEvent(id, live.final_event, live.final_payload, snapshot.updated_at);
    if (ended_attention) tx.InsertEvent(id, "attention", AttentionPayload(snapshot.attention), snapshot.updated_at);
  });
  if (!st.ok()) {
    if (st.error().code == "store_unavailable") return retry_later();
    spdlog::error("session {}: could not record its end: {}", id, st.error().message);
  }
  const ExitStatus& exit = *live.proc->exit();
  spdlog::info("session {} {}: exit {} signal {} ({} bytes)", id, ToString(snapshot.status),
               exit.exit_code.value_or(-1), snapshot.signal.value_or("-"), bytes);
  std::optional<std::string> lost_conversation = live.lost_conversation;
  SessionRecord copy = snapshot;
  // Recorded: whatever holds the process (its shim) may let go now, and not before.
  launcher_.Release(live.proc->pgid());
  auto node = live_.extract(id);  // keep Live alive until the end of this scope
  Notify(copy);
  PublishEvents(id, first_event - 1);
  if (ended_attention && st.ok()) RunAttentionHook(copy);
  if (lost_conversation) HandleLostConversation(copy, *lost_conversation);
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
    live->proc->Stop(deadline_ms / 2);
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
      for (auto& [id, live] : live_) live->proc->Signal(SIGKILL);
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
