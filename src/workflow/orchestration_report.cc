// Orchestrations: what clients read — status and the synthesis of results (orchestration.h).
#include "base/clock.h"
#include "workflow/answers.h"
#include "workflow/checkpoints.h"
#include "workflow/orchestration.h"

namespace agentmux {
using nlohmann::json;

namespace {

// The tokens and cost of every attempt of a subtask.
std::pair<int64_t, double> Spent(const std::vector<SessionRecord>& attempts) {
  int64_t tokens = 0;
  double cost = 0;
  for (const auto& a : attempts) {
    tokens += a.usage ? a.usage->total() : 0;
    cost += a.cost_usd.value_or(0);
  }
  return {tokens, cost};
}

}  // namespace

json Orchestrations::Status(const SessionRecord& orch, bool include_completed) {
  json subtasks = json::array();
  std::map<std::string, int> counts = {{"planned", 0}, {"running", 0}, {"completed", 0}, {"failed", 0}, {"cancelled", 0}};
  int64_t tokens = 0;
  double cost = 0;
  int64_t now = NowMs();
  for (const auto& v : Tasks(orch)) {
    const SessionRecord* last = v.last();
    std::string bucket = v.status == "paused" || v.status == "verifying" ? "running"
                         : v.status == "interrupted"                     ? "failed"
                                                                         : v.status;
    ++counts[bucket];
    auto [task_tokens, task_cost] = Spent(v.attempts);
    tokens += task_tokens;
    cost += task_cost;
    if (v.status == "completed" && !include_completed) continue;
    json progress = nullptr;
    if (last && last->started_at)
      progress = {{"elapsed_ms", (last->ended_at ? *last->ended_at : now) - *last->started_at},
                  {"log_bytes", last->log_bytes},
                  {"turns", last->num_turns ? json(*last->num_turns) : json(nullptr)}};
    subtasks.push_back({{"task_id", v.id},
                        {"title", v.spec.value("title", "")},
                        {"tool", v.spec.value("tool", "")},
                        {"status", v.status},
                        {"session_id", last ? json(last->id) : json(nullptr)},
                        {"attempts", v.attempts.size()},
                        {"progress", progress},
                        {"tokens", task_tokens},
                        {"cost_usd", task_cost},
                        {"error", v.error.empty() ? json(nullptr) : json(v.error)}});
  }
  return {{"session_id", orch.id},
          {"name", orch.state.value("name", orch.name)},
          {"status", ToString(orch.status)},
          {"version", VersionOf(orch)},
          {"project", orch.project_path},
          {"workspace", orch.state["orchestration"].value("workspace", json(nullptr))},
          {"subtasks", subtasks},
          {"counts", counts},
          {"totals", {{"tokens", tokens}, {"cost_usd", cost}}}};
}

Result<json> Orchestrations::Synthesize(const std::string& id, bool complete) {
  auto orch = Get(id);
  if (!orch.ok()) return orch.error();
  json subtasks = json::array(), failures = json::array();
  int64_t tokens = 0;
  double cost = 0;
  bool open_work = false;
  for (const auto& v : Tasks(*orch)) {
    const SessionRecord* last = v.last();
    json files = json::array();
    std::string answer;
    if (v.spec.contains("by_caller")) {
      answer = v.spec["by_caller"].value("summary", "");
      for (const auto& f : v.spec["by_caller"].value("files", json::array()))
        files.push_back({{"path", f}, {"added", nullptr}, {"removed", nullptr}});
    } else if (last && IsTerminal(last->status)) {
      answer = FinalAnswer(manager_, *last);
      if (answer.empty()) answer = OutputTail(manager_, *last, 20);
      if (checkpoints_) {
        auto diff = checkpoints_->DiffOf(*last, true);
        if (diff.ok())
          for (const auto& f : diff->diff.files)
            files.push_back({{"path", f.path}, {"status", f.status}, {"added", f.additions}, {"removed", f.deletions}});
      }
    }
    if (v.status == "planned" || v.status == "running" || v.status == "paused" || v.status == "verifying")
      open_work = true;
    if (v.status == "failed" || v.status == "interrupted" || v.status == "cancelled")
      failures.push_back({{"task_id", v.id}, {"status", v.status}, {"error", v.error.empty() ? v.status : v.error}});
    auto [task_tokens, task_cost] = Spent(v.attempts);
    tokens += task_tokens;
    cost += task_cost;
    subtasks.push_back({{"task_id", v.id},
                        {"title", v.spec.value("title", "")},
                        {"tool", v.spec.value("tool", "")},
                        {"status", v.status},
                        {"session_id", last ? json(last->id) : json(nullptr)},
                        {"answer", answer},
                        {"files_changed", files},
                        {"error", v.error.empty() ? json(nullptr) : json(v.error)},
                        {"tokens", task_tokens},
                        {"cost_usd", task_cost},
                        {"by_caller", v.spec.contains("by_caller")}});
  }
  SessionRecord now = *orch;
  if (complete && !open_work && !IsTerminal(now.status)) {
    SessionRecord rec = now;
    rec.ended_at = NowMs();
    rec.state["end_reason"] = "synthesized";
    auto done = manager_.TransitionParent(rec, SessionAction::kComplete, "completed",
                                          {{"subtasks", subtasks.size()}, {"failures", failures.size()}});
    if (done.ok()) now = *done;
  }
  return json{{"session_id", now.id},
              {"name", now.state.value("name", now.name)},
              {"status", ToString(now.status)},
              {"open_work", open_work},
              {"subtasks", subtasks},
              {"failures", failures},
              {"totals", {{"tokens", tokens}, {"cost_usd", cost}, {"subtasks", subtasks.size()}}}};
}


}  // namespace agentmux
