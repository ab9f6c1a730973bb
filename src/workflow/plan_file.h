// Plan definitions (DESIGN §8, issue 14): what `agentmux plan run FILE`, `POST /api/plans` and
// `agentmux run --until` describe — ordered tasks for one agent conversation, verify commands and
// a budget. Parsed from YAML (yaml-cpp; JSON is read by the same parser, being YAML's flow
// style):
//
//   name: add-login                 # optional; default: the first task's words
//   tool: claude                    # adapter of every task unless a task names its own
//   project: .                      # default: the caller's directory   (alias: project_path)
//   specs: [012]                    # attached to the first task         (alias: spec_ids)
//   budget: { tokens: 2000000, cost_usd: 5, time: 2h }   # each optional (time_ms: N also)
//   env: { KEY: VALUE }             # every task's environment
//   timeout: 30m                    # per task attempt (timeout_ms: N also)
//   worktree: true                  # the tasks work in one git worktree of the plan's (base: REF)
//   tasks:                          # at least one
//     - prompt: Create the User model
//     - prompt: Add POST /login
//       verify: npm test -- login   # run in the project after the agent; non-zero = try again
//       max_attempts: 3             # tries while verify fails (default 3, at most 100)
//     - spec: 013                   # the spec's text is the prompt
//     - command: make lint          # the shell tool runs a command (sh -c) instead of a prompt
//       tool: shell
//
// Pure functions, thread-safe. Shape errors only; whether tools and specs exist is checked by the
// plan driver (plans.h) with the line numbers kept here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace agentmux {

struct PlanTask {
  std::optional<std::string> prompt;
  std::optional<std::string> spec;     // a spec id; its text is the prompt
  std::optional<std::string> command;  // shell tool: run with sh -c
  std::optional<std::string> tool;     // default: the plan's
  std::optional<std::string> verify;   // shell command run in the project after the task
  int max_attempts = 3;
};

struct PlanBudget {
  std::optional<int64_t> tokens;    // the tasks' own tokens, summed
  std::optional<double> cost_usd;   // the tasks' own cost, summed
  std::optional<int64_t> time_ms;   // wall time from the plan's start
  bool any() const { return tokens || cost_usd || time_ms; }
};

struct PlanDefinition {
  std::string name;  // "" = derived from the first task
  std::string tool;  // "" = every task names its own
  std::string project;  // as written ("" = the caller's directory)
  std::vector<std::string> specs;
  PlanBudget budget;
  std::map<std::string, std::string> env;
  // The environment the tasks start from (the caller's; not from a file): request.h caller_env.
  std::optional<std::map<std::string, std::string>> caller_env;
  std::optional<int64_t> timeout_ms;
  bool worktree = false;            // the tasks run in one git worktree (issue 15)
  std::optional<std::string> base;  // with worktree: the commit to branch from
  std::vector<PlanTask> tasks;
  bool ralph = false;  // made by `run --until` (mode ralph)
  // Where each field was written, for errors: "tasks[1].verify" → 1-based line. Empty for a
  // definition that did not come from a file.
  std::string file;
  std::map<std::string, int> lines;

  // "file:line: field" (or "field" without a file) for messages about `field`.
  std::string Where(const std::string& field) const;
  // The tool of task `i`: its own, else the plan's.
  std::string ToolOf(size_t i) const { return tasks[i].tool.value_or(tool); }
};

// Parses a plan file's text (YAML or JSON). `file` names it in errors ("" for an API body).
// Errors (kInvalidArgument "invalid_plan", message "file:line: field: what is wrong and what is
// allowed"): not YAML, not a mapping, an unknown field, no tasks, a task with none or several of
// prompt/spec/command, a bad budget, duration, number or type.
Result<PlanDefinition> ParsePlan(std::string_view text, const std::string& file);

// The same from a JSON object (POST /api/plans without "source"): its fields as in a file; the
// request-only keys "start", "source", "file" are ignored.
Result<PlanDefinition> PlanFromJson(const nlohmann::json& body);

// The definition as the API shows it (docs/api.md "Plan": tasks and budget).
nlohmann::json TasksJson(const PlanDefinition& def);
nlohmann::json BudgetJson(const PlanBudget& budget);

}  // namespace agentmux
