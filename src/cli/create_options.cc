#include "cli/create_options.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "agents/adapter.h"
#include "cli/common.h"

extern char** environ;

namespace agentmux {
using nlohmann::json;

void AddCreateOptions(CLI::App* cmd, CreateOpts& o) {
  std::string tools;
  AdapterRegistry registry;
  for (const auto* a : registry.All()) tools += (tools.empty() ? "" : ", ") + a->name();
  cmd->add_option("--tool,-t", o.tool, "agent adapter: " + tools + " (default shell when a command follows --; "
                                       "`agentmux tools` says which are installed)");
  cmd->add_option("--name,-N", o.name, "a name to use instead of the id (default: generated, like brave-otter)");
  cmd->add_flag("--clean-env", o.clean_env,
                "start from the daemon's environment instead of this shell's (--env values still apply)");
  // Repeatable options take one value per occurrence: `-e K=V -- sh -c …` must leave `--` and the
  // command alone (a vector option otherwise swallows what follows; issue 11).
  cmd->add_option("--spec,-s", o.specs, "attach a spec as context (repeatable, kept in order), e.g. 028")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  o.prompt_opt = cmd->add_option("--prompt,-p", o.prompt, "instructions for the agent");
  cmd->add_option("--mode,-m", o.mode, "guided (interactive terminal) or autonomous (headless, structured)")
      ->check(CLI::IsMember({"guided", "autonomous"}));
  cmd->add_option("--project-path,-C", o.project_path, "project directory (default: current directory)");
  cmd->add_option("--env,-e", o.env,
                  "KEY=VALUE for the agent's environment, or KEY to pass this shell's value (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  cmd->add_option("--timeout", o.timeout, "end the session after this long (90s, 5m, 1h): SIGTERM, then SIGKILL; status failed");
  cmd->add_flag("--worktree,-w", o.worktree, "run in a new git worktree on branch agentmux/<id> (see `diff`, `merge`)");
  cmd->add_option("--base", o.base, "with --worktree: the commit or branch to start from (default: HEAD)");
  cmd->add_option("command", o.command, "after --: the shell tool's command and arguments, or extra arguments for an agent's CLI (e.g. -- --mcp-config mcp.json)");
}

json CallerEnvironment() {
  json caller = json::object();
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    caller[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return caller;
}

json CreateBody(const CreateOpts& o) {
  json body = {{"tool", o.tool}, {"spec_ids", o.specs}};
  std::error_code ec;
  body["project_path"] = o.project_path.empty() ? std::filesystem::current_path(ec).string()
                                                : std::filesystem::absolute(o.project_path, ec).string();
  if (o.prompt_opt && o.prompt_opt->count() > 0) body["prompt"] = o.prompt;
  if (!o.mode.empty()) body["mode"] = o.mode;
  if (!o.command.empty()) body["command"] = o.command;
  if (!o.timeout.empty()) body["timeout"] = o.timeout;
  if (o.worktree) body["worktree"] = true;
  if (!o.base.empty()) body["base"] = o.base;
  json env = json::object();
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == 0 || kv.empty()) Fail("--env takes KEY=VALUE or KEY, got '" + kv + "'");
    if (eq == std::string::npos) {  // like `docker run -e KEY`: the value from this environment
      const char* value = std::getenv(kv.c_str());
      if (!value) Fail("--env " + kv + ": " + kv + " is not set in this environment; give --env " + kv + "=VALUE");
      env[kv] = value;
      continue;
    }
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  body["env"] = env;
  if (!o.name.empty()) body["name"] = o.name;
  // The session starts from this shell's environment (as `docker run` does not, and people expect
  // it to): the daemon keeps it in memory only.
  if (!o.clean_env) body["environment"] = CallerEnvironment();
  if (isatty(STDOUT_FILENO)) {
    struct winsize ws {};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
      body["cols"] = ws.ws_col;
      body["rows"] = ws.ws_row;
    }
  }
  return body;
}

namespace {
std::string ShellQuote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_-+=:,./") ==
                          std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

json RalphPlanBody(const CreateOpts& o) {
  json s = CreateBody(o);
  if (!o.mode.empty() && o.mode != "autonomous") Fail("--until runs the agent headless (autonomous); drop --mode " + o.mode);
  json task = json::object();
  if (!o.command.empty()) {
    std::string cmd;
    for (const auto& a : o.command) cmd += (cmd.empty() ? "" : " ") + ShellQuote(a);
    task["command"] = cmd;
    task["tool"] = o.tool.empty() ? "shell" : o.tool;
  } else if (o.prompt_opt && o.prompt_opt->count() > 0) {
    task["prompt"] = o.prompt;
  } else {
    Fail("--until needs a --prompt for the agent (or a command after --)");
  }
  task["verify"] = o.until;
  if (o.max_attempts > 0) task["max_attempts"] = o.max_attempts;
  json body = {{"mode", "ralph"}, {"project_path", s["project_path"]}, {"spec_ids", s["spec_ids"]},
               {"env", s["env"]}, {"tasks", json::array({task})}};
  if (s.contains("environment")) body["environment"] = s["environment"];
  if (!o.tool.empty()) body["tool"] = o.tool;
  if (s.contains("timeout")) body["timeout"] = s["timeout"];
  return body;
}

}  // namespace agentmux
