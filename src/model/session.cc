#include "model/session.h"

#include <algorithm>
#include <cstdlib>

#include "base/clock.h"

namespace agentmux {

std::string_view ToString(SessionMode m) {
  switch (m) {
    case SessionMode::kGuided: return "guided";
    case SessionMode::kAutonomous: return "autonomous";
    case SessionMode::kRalph: return "ralph";
  }
  return "autonomous";
}

std::optional<SessionMode> ParseSessionMode(std::string_view text) {
  if (text == "guided") return SessionMode::kGuided;
  if (text == "autonomous") return SessionMode::kAutonomous;
  if (text == "ralph") return SessionMode::kRalph;
  return std::nullopt;
}

std::string_view ToString(SessionKind k) {
  switch (k) {
    case SessionKind::kAgent: return "agent";
    case SessionKind::kPlan: return "plan";
    case SessionKind::kMapReduce: return "mapreduce";
  }
  return "agent";
}

std::optional<SessionKind> ParseSessionKind(std::string_view text) {
  if (text == "agent") return SessionKind::kAgent;
  if (text == "plan") return SessionKind::kPlan;
  if (text == "mapreduce") return SessionKind::kMapReduce;
  return std::nullopt;
}

std::string_view ToString(AttentionReason r) {
  switch (r) {
    case AttentionReason::kInput: return "input";
    case AttentionReason::kPermission: return "permission";
    case AttentionReason::kEnded: return "ended";
  }
  return "ended";
}

std::optional<AttentionReason> ParseAttentionReason(std::string_view text) {
  if (text == "input") return AttentionReason::kInput;
  if (text == "permission") return AttentionReason::kPermission;
  if (text == "ended") return AttentionReason::kEnded;
  return std::nullopt;
}

std::string ShortId(const std::string& id) {
  auto dash = id.rfind('-');
  if (dash == std::string::npos || id.size() - dash - 1 < 8) return id.substr(0, 13);
  return id.substr(dash + 1, 8);
}

nlohmann::json ToJson(const std::optional<Attention>& a) {
  if (!a) return nullptr;
  return {{"reason", ToString(a->reason)}, {"since", Rfc3339(a->since)}, {"message", a->message}};
}

namespace {
// The public part of a plan's state (docs/api.md "Plan"); keys starting with "_" are the engine's.
nlohmann::json PlanJson(const SessionRecord& s) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"name", "tasks", "current", "conversation_id", "budget", "spent", "end_reason"})
    out[key] = s.state.contains(key) ? s.state[key] : nlohmann::json(nullptr);
  if (!out["tasks"].is_array()) out["tasks"] = nlohmann::json::array();
  // Wall time spent so far: from the start to the end, or to now while it goes on.
  if (s.started_at) {
    int64_t until = s.ended_at.value_or(NowMs());
    if (!out["spent"].is_object()) out["spent"] = nlohmann::json::object();
    out["spent"]["time_ms"] = std::max<int64_t>(0, until - *s.started_at);
  }
  return out;
}
// A worktree session's worktree (workflow/checkpoints.h keeps it in metadata worktree_*).
nlohmann::json WorktreeJson(const SessionRecord& s) {
  std::string state = MetaOr(s, "worktree");
  if (state != "active" && state != "merged" && state != "discarded") return nullptr;
  return {{"path", MetaOr(s, "worktree_path")}, {"branch", MetaOr(s, "worktree_branch")},
          {"base_commit", MetaOr(s, "worktree_base_commit")}, {"state", state}};
}

// What the session changed in its project, once known (metadata changes_*).
nlohmann::json ChangesJson(const SessionRecord& s) {
  if (MetaOr(s, "changes_files").empty()) return nullptr;
  auto num = [&](const char* key) { return std::atoll(MetaOr(s, key).c_str()); };
  return {{"files", num("changes_files")}, {"additions", num("changes_additions")},
          {"deletions", num("changes_deletions")}};
}
}  // namespace

std::vector<std::string> AgentArgs(const SessionRecord& s) {
  std::vector<std::string> out;
  auto it = s.metadata.find("agent_args");
  if (it == s.metadata.end()) return out;
  auto j = nlohmann::json::parse(it->second, nullptr, false);
  if (j.is_array())
    for (const auto& a : j)
      if (a.is_string()) out.push_back(a.get<std::string>());
  return out;
}

std::string MetaOr(const SessionRecord& s, const char* key) {
  auto it = s.metadata.find(key);
  return it == s.metadata.end() ? std::string() : it->second;
}

const std::string& WorkingDir(const SessionRecord& s) {
  auto state = s.metadata.find("worktree");
  auto path = s.metadata.find("worktree_path");
  if (state != s.metadata.end() && state->second == "active" && path != s.metadata.end() && !path->second.empty())
    return path->second;
  return s.project_path;
}

nlohmann::json ToJson(const SessionRecord& s, bool with_context) {
  using nlohmann::json;
  auto opt_time = [](const std::optional<int64_t>& t) { return t ? json(Rfc3339(*t)) : json(nullptr); };
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  json j = {
      {"id", s.id},
      {"project_path", s.project_path},
      {"spec_ids", s.spec_ids},
      {"prompt", opt(s.prompt)},
      {"tool", s.tool},
      {"mode", ToString(s.mode)},
      {"status", ToString(s.status)},
      {"exit_code", opt(s.exit_code)},
      {"signal", opt(s.signal)},
      {"pid", opt(s.pid)},
      {"started_at", opt_time(s.started_at)},
      {"ended_at", opt_time(s.ended_at)},
      {"duration_ms", opt(s.duration_ms)},
      {"token_count", s.usage ? json(s.usage->total()) : json(nullptr)},
      {"input_tokens", s.usage ? json(s.usage->input_tokens) : json(nullptr)},
      {"output_tokens", s.usage ? json(s.usage->output_tokens) : json(nullptr)},
      {"cache_read_tokens", s.usage ? json(s.usage->cache_read_tokens) : json(nullptr)},
      {"cache_creation_tokens", s.usage ? json(s.usage->cache_creation_tokens) : json(nullptr)},
      {"cost_usd", opt(s.cost_usd)},
      {"conversation", s.conversation_usage || s.conversation_cost_usd
                           ? json{{"token_count", s.conversation_usage ? json(s.conversation_usage->total()) : json(nullptr)},
                                  {"input_tokens", s.conversation_usage ? json(s.conversation_usage->input_tokens) : json(nullptr)},
                                  {"output_tokens", s.conversation_usage ? json(s.conversation_usage->output_tokens) : json(nullptr)},
                                  {"cache_read_tokens", s.conversation_usage ? json(s.conversation_usage->cache_read_tokens) : json(nullptr)},
                                  {"cache_creation_tokens", s.conversation_usage ? json(s.conversation_usage->cache_creation_tokens) : json(nullptr)},
                                  {"cost_usd", opt(s.conversation_cost_usd)}}
                           : json(nullptr)},
      {"num_turns", opt(s.num_turns)},
      {"agent_session_id", opt(s.agent_session_id)},
      {"parent_id", opt(s.parent_id)},
      {"kind", ToString(s.kind)},
      {"position", opt(s.position)},
      {"plan", s.kind == SessionKind::kPlan ? PlanJson(s) : json(nullptr)},
      {"worktree", WorktreeJson(s)},
      {"changes", ChangesJson(s)},
      {"command", s.command},
      {"env", s.env},
      {"metadata", s.metadata},
      {"error", opt(s.error)},
      {"created_at", Rfc3339(s.created_at)},
      {"updated_at", Rfc3339(s.updated_at)},
      {"archived_at", opt_time(s.archived_at)},
      {"log_seq", s.log_seq},
      {"log_bytes", s.log_bytes},
      {"name", s.name},
      {"short_id", ShortId(s.id)},
      {"attention", ToJson(s.attention)},
  };
  if (with_context) j["context"] = s.context;
  return j;
}

}  // namespace agentmux
