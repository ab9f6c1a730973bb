// The words a plan sends its agent and the sums it keeps (DESIGN §8, issue 14): the next prompt
// after a failed verify command, the record that seeds a fresh conversation when the CLI lost the
// plan's, and budget checks. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "workflow/plan_file.h"

namespace agentmux {

// The last `lines` lines of `text` (a trailing partial line counts as one), at most `max_bytes`
// (cut at a line start when possible). ANSI escape sequences are removed.
std::string TailLines(std::string_view text, size_t lines, size_t max_bytes);

// The prompt of a task's next attempt after its verify command failed: the command, its exit code,
// its output's tail and a short instruction.
std::string VerifyRetryPrompt(const std::string& verify, int exit_code, const std::string& output_tail);

// One finished task of a plan, for the fallback record.
struct TaskRecord {
  size_t number = 0;     // 1-based
  std::string asked;     // its prompt, or "spec 013-x"
  std::string answer;    // the agent's final answer ("" when none was found)
};

// The first prompt of a fresh conversation replacing a lost one: what the plan did so far (each
// finished task's prompt and final answer, the files changed since the plan started per `git diff
// --stat`), then the task at hand (`task_context`).
std::string FallbackRecord(const std::string& plan_name, const std::vector<TaskRecord>& done,
                           const std::string& diff_stat, const std::string& task_context);

// What a plan spent so far.
struct PlanSpent {
  int64_t tokens = 0;
  double cost_usd = 0;
  int64_t time_ms = 0;
};

// The first limit `spent` reached, as the payload of a `budget_exceeded` event ({what, limit,
// spent}), or nullopt. Tokens and cost are exceeded when reached (≥); time when reached.
std::optional<nlohmann::json> OverBudget(const PlanBudget& budget, const PlanSpent& spent);

// The budget from a plan's state JSON (BudgetJson's shape); absent keys = no limit.
PlanBudget BudgetFromJson(const nlohmann::json& j);

// `text`'s first line, at most `max` bytes, never cut inside a UTF-8 character ("…" appended when
// cut).
std::string FirstLineExcerpt(const std::string& text, size_t max);

// A plan's default name: the first task's first words (≤ 48 bytes), or its spec or command.
std::string DefaultPlanName(const PlanDefinition& def);

}  // namespace agentmux
