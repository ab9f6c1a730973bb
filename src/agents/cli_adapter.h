// What every agent CLI adapter shares (the CLI-specific parts live in one file per CLI:
// claude.cc, codex.cc, opencode.cc, gemini.cc, copilot.cc): binary discovery (an
// AGENTMUX_<NAME>_BIN override, else PATH), the install hint, the "needs a prompt" check of
// autonomous sessions, PTY (guided) or pipes (autonomous), and the common part of `tools`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agents/adapter.h"

namespace agentmux {

// The value of environment variable `name`, or "".
std::string Getenv(const char* name);
// $HOME, or "".
std::string HomeDir();
// True when `path` is non-empty and exists.
bool Exists(const std::string& path);

class CliAdapter : public Adapter {
 public:
  CliAdapter(std::string name, std::string binary, std::string display, std::string install_hint)
      : name_(std::move(name)), binary_(std::move(binary)), display_(std::move(display)),
        install_hint_(std::move(install_hint)) {}

  std::string name() const override { return name_; }
  SessionMode default_mode() const override { return SessionMode::kAutonomous; }
  bool SupportsResume() const override { return true; }
  Result<LaunchPlan> Plan(const SessionRecord& s, const std::string& path_env) const override;
  ToolInfo Inspect(const std::string& path_env) const override;
  // $AGENTMUX_<NAME>_BIN (looked up in `path_env` when it has no '/'), else the binary in PATH.
  std::optional<std::string> FindBinary(const std::string& path_env) const;

 protected:
  // Autonomous: pipes, structured output; the context goes on stdin where the CLI reads it there
  // (argv is size-limited and visible in `ps`). `resume` is the conversation to continue.
  virtual void BuildAutonomous(const SessionRecord& s, const std::optional<std::string>& resume,
                               LaunchPlan& plan) const = 0;
  // Guided: the CLI's interactive TUI under the PTY, the context as its first message.
  virtual void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume,
                           LaunchPlan& plan) const = 0;
  // What `tools` says about login, keys and config: one note per finding, and exactly what is
  // missing when nothing would let the CLI reach a model.
  virtual void CheckEnvironment(std::vector<std::string>& notes) const = 0;
  // What the CLI needs and lacks so that it would fail at once (no login, no provider), in words
  // that say what to do; nullopt when nothing is known to be missing. Inspect() then reports the
  // tool unavailable.
  virtual std::optional<std::string> MissingSetup() const { return std::nullopt; }

  std::string name_, binary_, display_, install_hint_;
};

}  // namespace agentmux
