// Attention (issue 16): when a session waits for a person — its guided agent idle at its input
// prompt or asking a permission question (read from a screen model of its TUI, agents/screen.h),
// or it ended and nobody has looked yet. Stored on the record (`attention`), announced with an
// `attention` event, cleared when the agent draws something else or someone acknowledges it; the
// daemon's optional hook command runs for each new one.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "base/clock.h"
#include "proc/run_command.h"
#include "session/live.h"

namespace agentmux {
namespace {
// An idle prompt counts once the TUI has drawn nothing for this long (its spinner redraws at least
// every ~100 ms while it works); a question on screen counts at once.
constexpr int64_t kQuietMs = 700;
constexpr int64_t kCheckDelayMs = 250;
}  // namespace

void SessionManager::InitScreen(Live& live, unsigned short cols, unsigned short rows) {
  const Adapter* adapter = adapters_.Find(live.rec.tool);
  if (!adapter || !adapter->ReadsScreen() || live.rec.mode != SessionMode::kGuided) return;
  live.screen = std::make_unique<TerminalScreen>(cols, rows);
}

void SessionManager::WatchScreen(Live& live, const std::string& data) {
  live.screen->Feed(data);
  live.last_output_mono = timers_.NowMs();
  if (live.screen_check) return;
  std::string id = live.rec.id;
  live.screen_check = timers_.After(kCheckDelayMs, [this, id] {
    auto it = live_.find(id);
    if (it != live_.end()) CheckScreen(*it->second);
  });
}

void SessionManager::CheckScreen(Live& live) {
  live.screen_check.reset();
  const Adapter* adapter = adapters_.Find(live.rec.tool);
  if (!adapter || !live.screen || live.rec.status != SessionStatus::kRunning) return;
  std::string message;
  auto reason = adapter->ScreenAttention(live.screen->Rows(), message);
  int64_t quiet = timers_.NowMs() - live.last_output_mono;
  if (reason == AttentionReason::kInput && quiet < kQuietMs) {
    std::string id = live.rec.id;
    live.screen_check = timers_.After(kQuietMs - quiet, [this, id] {
      auto it = live_.find(id);
      if (it != live_.end()) CheckScreen(*it->second);
    });
    return;
  }
  const auto& now = live.rec.attention;
  if (!reason) {
    if (now && now->reason != AttentionReason::kEnded) SetLiveAttention(live, std::nullopt);
    return;
  }
  if (now && now->reason == *reason && now->message == message) return;
  SetLiveAttention(live, Attention{*reason, NowMs(), message});
}

void SessionManager::SetLiveAttention(Live& live, std::optional<Attention> attention) {
  live.rec.attention = attention;
  live.rec.updated_at = NowMs();
  SessionRecord snapshot = live.rec;
  nlohmann::json payload = AttentionPayload(attention);
  // Not a status change: queue it behind the chunks already read.
  store_.Post([snapshot, payload](StoreTxn& tx) {
    tx.UpdateSession(snapshot);
    tx.InsertEvent(snapshot.id, "attention", payload, snapshot.updated_at);
  });
  bus_.Event(EventRecord{0, snapshot.id, "attention", payload, snapshot.updated_at});
  Notify(snapshot);
  if (attention) RunAttentionHook(snapshot);
}

nlohmann::json SessionManager::AttentionPayload(const std::optional<Attention>& attention) {
  if (!attention) return {{"reason", nullptr}};
  nlohmann::json payload = {{"reason", ToString(attention->reason)}};
  if (!attention->message.empty()) payload["message"] = attention->message;
  return payload;
}

bool SessionManager::WantsEndedAttention(const SessionRecord& rec) const {
  // A plan's tasks are followed through their plan, which gets its own when it ends.
  if (!MetaOr(rec, "plan_role").empty()) return false;
  return rec.status == SessionStatus::kCompleted || rec.status == SessionStatus::kFailed;
}

Result<SessionRecord> SessionManager::Acknowledge(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (!got->attention) return got;
  if (auto it = live_.find(got->id); it != live_.end()) {
    SetLiveAttention(*it->second, std::nullopt);
    return it->second->rec;
  }
  auto updated = Update(got->id, [](SessionRecord& r) { r.attention.reset(); });
  if (updated.ok()) (void)RecordEvent(updated->id, "attention", {{"reason", nullptr}, {"acknowledged", true}});
  return updated;
}

void SessionManager::RunAttentionHook(const SessionRecord& rec) {
  if (options_.attention_hook.empty() || !rec.attention) return;
  // Off the loop: a slow hook (a chat webhook) never holds up the sessions.
  std::vector<std::string> env = {"AGENTMUX_SESSION_ID=" + rec.id, "AGENTMUX_SESSION_NAME=" + rec.name,
                                  "AGENTMUX_ATTENTION=" + std::string(ToString(rec.attention->reason)),
                                  "AGENTMUX_ATTENTION_MESSAGE=" + rec.attention->message,
                                  "AGENTMUX_SESSION_STATUS=" + std::string(ToString(rec.status)),
                                  "AGENTMUX_TOOL=" + rec.tool, "AGENTMUX_PROJECT=" + rec.project_path};
  std::vector<std::string> argv = {"/bin/sh", "-c", options_.attention_hook, "agentmux-attention", rec.id,
                                   std::string(ToString(rec.attention->reason))};
  std::string cwd = rec.project_path;
  boost::asio::post(blocking_, [argv, env, cwd, id = rec.id] {
    auto r = RunCommand(argv, "/", env, 30'000, 4096);
    if (!r.ok()) spdlog::warn("session {}: the attention hook could not run: {}", id, r.error().message);
    else if (r->exit_code != 0)
      spdlog::warn("session {}: the attention hook exited {}{}: {}", id, r->exit_code, r->timed_out ? " (timed out)" : "",
                   r->output.substr(0, 300));
  });
}

}  // namespace agentmux
