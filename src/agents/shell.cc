// The `shell` tool: any command under a PTY (`agentmux run -- CMD ARGS…`); no structured output.
#include "agents/adapter.h"
#include "proc/process.h"

namespace agentmux {
namespace {

class ShellAdapter : public Adapter {
 public:
  std::string name() const override { return "shell"; }
  SessionMode default_mode() const override { return SessionMode::kGuided; }  // a PTY anyone can attach to

  Result<LaunchPlan> Plan(const SessionRecord& s, const std::string& path_env) const override {
    if (s.command.empty())
      return Error::InvalidArgument("missing_command",
                                    "the shell tool runs a command: give it after `--`, e.g. "
                                    "`agentmux run -- make test` (API: \"command\": [\"make\", \"test\"])");
    if (!FindExecutable(s.command.front(), path_env))
      return Error::Unavailable("binary_not_found", "'" + s.command.front() +
                                                        "' was not found in PATH or is not executable; "
                                                        "check the spelling or give its full path");
    LaunchPlan plan;
    plan.argv = s.command;
    plan.use_pty = true;
    return plan;
  }

  ToolInfo Inspect(const std::string&) const override {
    ToolInfo info;
    info.name = name();
    info.available = true;
    info.notes.push_back("runs any command under a PTY: agentmux run -- CMD ARGS…");
    return info;
  }
};

}  // namespace

std::unique_ptr<Adapter> MakeShellAdapter() { return std::make_unique<ShellAdapter>(); }

}  // namespace agentmux
