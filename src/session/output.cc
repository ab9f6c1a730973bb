// A live session's output: sequenced into the log, fanned out, parsed for the agent's report and
// events; commits coming back from the store; the store's health.
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "session/live.h"

namespace agentmux {

void SessionManager::OnOutput(Live& live, const std::string& level, std::string data) {
  LogChunkPtr ptr = live.log.Next(level, std::move(data));
  live.rec.log_seq = ptr->seq;
  live.rec.log_bytes = live.log.bytes();
  store_.AppendLog(ptr);
  bus_.Log(ptr);
  if (live.screen && level == "pty") WatchScreen(live, ptr->data);
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
  store_.Post([sid, payload, now](StoreTxn& tx) { tx.InsertEvent(sid, "parse_error", payload, now); });
  bus_.Event(EventRecord{0, sid, "parse_error", payload, now});
}

// Stores the parser's normalised events (turns, tool calls, errors) behind the chunks already
// queued, and tells the session's observers.
void SessionManager::DrainAgentEvents(Live& live) {
  auto events = live.parser->TakeEvents();
  if (events.empty()) return;
  int64_t ts = NowMs();
  std::string sid = live.rec.id;
  store_.Post([sid, events, ts](StoreTxn& tx) {
    for (const auto& e : events) tx.InsertEvent(sid, e.type, e.data, ts);
  });
  for (const auto& e : events) bus_.Event(EventRecord{0, sid, e.type, e.data, ts});
}

void SessionManager::ApplyReport(Live& live) {
  const AgentReport& r = live.parser->report();
  SessionRecord& rec = live.rec;
  bool new_conversation = r.agent_session_id && rec.agent_session_id != r.agent_session_id;
  if (r.agent_session_id) rec.agent_session_id = r.agent_session_id;
  bool new_usage = ApplyUsage(r, live.usage_base, rec);
  if (r.num_turns) rec.num_turns = r.num_turns;
  if (r.is_error.value_or(false) && r.error) rec.error = r.error;
  if (r.model) rec.metadata["model"] = *r.model;
  if (r.agent_version) rec.metadata["agent_version"] = *r.agent_version;
  if (!new_conversation && !new_usage) return;
  rec.updated_at = NowMs();
  SessionRecord snapshot = rec;
  nlohmann::json usage_payload = new_usage ? UsagePayload(rec, r) : nlohmann::json();
  // Not a status change: queue it behind the chunks already read, no need to wait.
  store_.Post([snapshot, usage_payload, new_usage](StoreTxn& tx) {
    tx.UpdateSession(snapshot);
    if (new_usage) tx.InsertEvent(snapshot.id, "usage", usage_payload, snapshot.updated_at);
  });
  if (new_usage) bus_.Event(EventRecord{0, rec.id, "usage", usage_payload, snapshot.updated_at});
  Notify(snapshot);
}

void SessionManager::OnCommitted(std::vector<std::pair<std::string, int64_t>> committed) {
  for (const auto& [id, seq] : committed) {
    auto it = live_.find(id);
    if (it == live_.end()) continue;
    it->second->log.Committed(seq);
  }
}

void SessionManager::OnStoreHealth(bool writable, const std::string& health) {
  int64_t now = NowMs();
  if (!writable) {
    if (store_stalled_since_) return;
    store_stalled_since_ = now;
    store_stall_reason_ = health;
    spdlog::error("the store cannot write ({}): reading agents' output is paused until it can; nothing is lost",
                  health);
    for (auto& [id, live] : live_) bus_.Event(EventRecord{0, id, "store_unavailable", {{"reason", health}}, now});
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
    store_.Post([sid, payload, now](StoreTxn& tx) { tx.InsertEvent(sid, "store_stalled", payload, now); });
    bus_.Event(EventRecord{0, sid, "store_stalled", payload, now});
  }
}

}  // namespace agentmux
