// The built-in adapters: `shell` (any command under a PTY) and `claude` (Claude Code).
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "agents/adapter.h"
#include "agents/claude_stream.h"
#include "base/ids.h"
#include "proc/process.h"

namespace agentmux {
namespace {

// First line of `bin --version` (stdout), or nullopt. Runs the binary; only for `tools`.
std::optional<std::string> ProbeVersion(const std::string& bin) {
  std::string cmd = "'" + bin + "' --version 2>/dev/null </dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::array<char, 256> buf{};
  std::string line;
  if (std::fgets(buf.data(), buf.size(), p)) line = buf.data();
  int rc = ::pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (rc != 0 || line.empty()) return std::nullopt;
  return line;
}

class ShellAdapter : public Adapter {
 public:
  std::string name() const override { return "shell"; }
  SessionMode default_mode() const override { return SessionMode::kAutonomous; }

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

class ClaudeAdapter : public Adapter {
 public:
  std::string name() const override { return "claude"; }
  SessionMode default_mode() const override { return SessionMode::kAutonomous; }

  static constexpr const char* kInstallHint =
      "install Claude Code with `npm install -g @anthropic-ai/claude-code` (or set AGENTMUX_CLAUDE_BIN "
      "to its path)";

  std::optional<std::string> FindBinary(const std::string& path_env) const {
    if (const char* bin = std::getenv("AGENTMUX_CLAUDE_BIN"); bin && *bin) return FindExecutable(bin, path_env);
    return FindExecutable("claude", path_env);
  }

  Result<LaunchPlan> Plan(const SessionRecord& s, const std::string& path_env) const override {
    auto bin = FindBinary(path_env);
    if (!bin)
      return Error::Unavailable("binary_not_found",
                                std::string("Claude Code ('claude') was not found in PATH; ") + kInstallHint);
    LaunchPlan plan;
    plan.argv = {*bin};
    // Claude Code refuses --dangerously-skip-permissions as root unless it is told it runs in a
    // sandbox (REPORT.md §2). An autonomous session has nobody to answer permission prompts.
    bool root = ::geteuid() == 0;
    if (s.mode == SessionMode::kAutonomous) {
      if (s.context.empty())
        return Error::InvalidArgument("missing_prompt",
                                      "an autonomous claude session needs a prompt or at least one spec "
                                      "(--prompt TEXT or --spec ID)");
      plan.argv.insert(plan.argv.end(), {"-p", "--output-format", "stream-json", "--verbose",
                                         "--dangerously-skip-permissions"});
      AddConversation(s, plan);
      if (root) plan.env["IS_SANDBOX"] = "1";
      // The context goes on stdin: argv is size-limited and visible in `ps` (DESIGN §5).
      plan.stdin_data = s.context;
      plan.use_pty = false;
    } else {
      AddConversation(s, plan);
      if (!s.context.empty()) plan.argv.push_back(s.context);
      plan.use_pty = true;
    }
    return plan;
  }

  // --resume ID continues a conversation; otherwise --session-id pre-assigns a fresh one so the
  // conversation id is known before the first byte (REPORT.md §2).
  static void AddConversation(const SessionRecord& s, LaunchPlan& plan) {
    if (auto it = s.metadata.find("resume_conversation"); it != s.metadata.end()) {
      plan.argv.insert(plan.argv.end(), {"--resume", it->second});
      plan.agent_session_id = it->second;
    } else {
      std::string id = NewUuidV4();
      plan.argv.insert(plan.argv.end(), {"--session-id", id});
      plan.agent_session_id = id;
    }
  }

  bool SupportsResume() const override { return true; }

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    return agent_error.find("No conversation found") != std::string::npos ||
           stderr_tail.find("No conversation found") != std::string::npos;
  }

  std::unique_ptr<OutputParser> NewParser(const SessionRecord& s) const override {
    if (s.mode != SessionMode::kAutonomous) return nullptr;
    return std::make_unique<ClaudeStreamParser>();
  }

  ToolInfo Inspect(const std::string& path_env) const override {
    ToolInfo info;
    info.name = name();
    info.install_hint = kInstallHint;
    info.binary_path = FindBinary(path_env);
    if (!info.binary_path) {
      info.notes.push_back("claude not found in PATH");
      return info;
    }
    info.version = ProbeVersion(*info.binary_path);
    info.available = true;
    const char* home = std::getenv("HOME");
    bool key = std::getenv("ANTHROPIC_API_KEY") || std::getenv("ANTHROPIC_AUTH_TOKEN");
    bool login = home && std::filesystem::exists(std::string(home) + "/.claude/.credentials.json");
    if (key) info.notes.push_back("API key found in the environment");
    if (login) info.notes.push_back("logged in through `claude /login`");
    if (!key && !login)
      info.notes.push_back("no ANTHROPIC_API_KEY and no login found: run `claude` once and /login, or set "
                           "ANTHROPIC_API_KEY");
    if (const char* base = std::getenv("ANTHROPIC_BASE_URL")) info.notes.push_back(std::string("ANTHROPIC_BASE_URL=") + base);
    return info;
  }
};

}  // namespace

std::unique_ptr<Adapter> MakeShellAdapter() { return std::make_unique<ShellAdapter>(); }
std::unique_ptr<Adapter> MakeClaudeAdapter() { return std::make_unique<ClaudeAdapter>(); }

AdapterRegistry::AdapterRegistry() {
  adapters_.push_back(MakeShellAdapter());
  adapters_.push_back(MakeClaudeAdapter());
}

const Adapter* AdapterRegistry::Find(const std::string& name) const {
  for (const auto& a : adapters_)
    if (a->name() == name) return a.get();
  return nullptr;
}

std::vector<const Adapter*> AdapterRegistry::All() const {
  std::vector<const Adapter*> out;
  for (const auto& a : adapters_) out.push_back(a.get());
  return out;
}

}  // namespace agentmux
