// The options of `create` and `run` (tool, specs, prompt, mode, project, env, timeout, command)
// and the POST /api/sessions body they make.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace agentmux {

struct CreateOpts {
  std::string tool;
  std::vector<std::string> specs;
  std::string prompt;
  CLI::Option* prompt_opt = nullptr;
  std::string mode;
  std::string project_path;
  std::vector<std::string> env;
  std::vector<std::string> command;
  std::string timeout;
  bool detach = false;
  std::string until;     // run only: rerun until this command passes (a one-task plan, mode ralph)
  int max_attempts = 0;  // with --until (default 3)
  bool worktree = false;  // run in a git worktree of its own
  std::string base;       // with worktree: the commit to branch from
  std::string name;       // --name
  bool clean_env = false;  // --clean-env: the daemon's environment, not this shell's
};

void AddCreateOptions(CLI::App* cmd, CreateOpts& o);
// This process's environment as a JSON object (the "environment" of a create or plan request: the
// session starts from the caller's environment; the daemon keeps it in memory only).
nlohmann::json CallerEnvironment();
nlohmann::json CreateBody(const CreateOpts& o);
// `run --until CMD`: the POST /api/plans body of a one-task plan in mode ralph — the session's
// fields as its task, CMD its verify command.
nlohmann::json RalphPlanBody(const CreateOpts& o);

}  // namespace agentmux
