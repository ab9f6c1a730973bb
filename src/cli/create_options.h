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
};

void AddCreateOptions(CLI::App* cmd, CreateOpts& o);
nlohmann::json CreateBody(const CreateOpts& o);

}  // namespace agentmux
