// The built-in adapters: `shell` (any command under a PTY) and the agent CLIs `claude`, `codex`,
// `opencode`, `gemini` and `copilot`. How each CLI behaves (flags, config, ids, resume, errors) is
// recorded with real transcripts in shared/reference/agents/REPORT.md; the section numbers below
// point there.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "base/json_access.h"
#include "agents/claude_stream.h"
#include "agents/parsers.h"
#include "base/ids.h"
#include "proc/process.h"

namespace agentmux {
namespace fs = std::filesystem;

namespace {

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string HomeDir() { return Getenv("HOME"); }

bool Exists(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::exists(path, ec);
}

// The version in the package.json of the npm package `binary` belongs to: npm links bin/x into
// node_modules/.bin; the real file sits at most a few levels below the package root.
std::optional<std::string> NpmPackageVersion(const std::string& binary) {
  std::error_code ec;
  fs::path real = fs::canonical(binary, ec);
  if (ec) return std::nullopt;
  fs::path dir = real.parent_path();
  for (int i = 0; i < 4 && !dir.empty() && dir != dir.root_path(); ++i, dir = dir.parent_path()) {
    fs::path pkg = dir / "package.json";
    if (!fs::exists(pkg, ec)) continue;
    std::ifstream in(pkg);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object() && j.contains("version") && j["version"].is_string() && j.contains("bin"))
      return j["version"].get<std::string>();
    return std::nullopt;  // a package.json without bin: not the CLI's own package
  }
  return std::nullopt;
}

std::optional<std::string> RunVersion(const std::string& bin) {
  std::string cmd = "timeout 5 '" + bin + "' --version 2>/dev/null </dev/null";
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

// The parts of a CLI adapter that do not depend on the CLI: binary discovery (an
// AGENTMUX_<NAME>_BIN override, else PATH), the install hint, the "needs a prompt" check of
// autonomous sessions and the common part of `tools`.
class CliAdapter : public Adapter {
 public:
  CliAdapter(std::string name, std::string binary, std::string display, std::string install_hint)
      : name_(std::move(name)), binary_(std::move(binary)), display_(std::move(display)),
        install_hint_(std::move(install_hint)) {}

  std::string name() const override { return name_; }
  SessionMode default_mode() const override { return SessionMode::kAutonomous; }
  bool SupportsResume() const override { return true; }

  std::optional<std::string> FindBinary(const std::string& path_env) const {
    std::string var = "AGENTMUX_" + name_ + "_BIN";
    for (auto& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (std::string bin = Getenv(var.c_str()); !bin.empty()) return FindExecutable(bin, path_env);
    return FindExecutable(binary_, path_env);
  }

  Result<LaunchPlan> Plan(const SessionRecord& s, const std::string& path_env) const override {
    auto bin = FindBinary(path_env);
    if (!bin)
      return Error::Unavailable("binary_not_found",
                                display_ + " ('" + binary_ + "') was not found in PATH; " + install_hint_);
    if (s.mode == SessionMode::kAutonomous && s.context.empty())
      return Error::InvalidArgument("missing_prompt", "an autonomous " + name_ +
                                                          " session needs a prompt or at least one spec "
                                                          "(--prompt TEXT or --spec ID)");
    LaunchPlan plan;
    plan.argv = {*bin};
    plan.private_tmp = true;
    std::optional<std::string> resume;
    if (auto it = s.metadata.find("resume_conversation"); it != s.metadata.end()) resume = it->second;
    if (s.mode == SessionMode::kAutonomous) {
      plan.use_pty = false;
      BuildAutonomous(s, resume, plan);
    } else {
      plan.use_pty = true;
      BuildGuided(s, resume, plan);
    }
    if (resume) plan.agent_session_id = resume;
    return plan;
  }

  ToolInfo Inspect(const std::string& path_env) const override {
    ToolInfo info;
    info.name = name_;
    info.install_hint = install_hint_;
    info.binary_path = FindBinary(path_env);
    if (!info.binary_path) {
      info.notes.push_back(binary_ + " not found in PATH: " + install_hint_);
      return info;
    }
    info.version = ProbeVersion(*info.binary_path);
    info.available = true;
    CheckEnvironment(info.notes);
    return info;
  }

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

  std::string name_, binary_, display_, install_hint_;
};

// ---------------------------------------------------------------------------------------------

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

// Claude Code (REPORT.md §2): `claude -p --output-format stream-json --verbose`, context on stdin.
class ClaudeAdapter : public CliAdapter {
 public:
  ClaudeAdapter()
      : CliAdapter("claude", "claude", "Claude Code",
                   "install Claude Code with `npm install -g @anthropic-ai/claude-code` (or set "
                   "AGENTMUX_CLAUDE_BIN to its path)") {}

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    return agent_error.find("No conversation found") != std::string::npos ||
           stderr_tail.find("No conversation found") != std::string::npos;
  }

  std::unique_ptr<OutputParser> NewParser(const SessionRecord& s, const EnvMap&) const override {
    if (s.mode != SessionMode::kAutonomous) return nullptr;
    return std::make_unique<ClaudeStreamParser>();
  }

 protected:
  void BuildAutonomous(const SessionRecord& s, const std::optional<std::string>& resume,
                       LaunchPlan& plan) const override {
    // An autonomous session has nobody to answer permission prompts. Claude Code refuses
    // --dangerously-skip-permissions as root unless told it runs in a sandbox.
    plan.argv.insert(plan.argv.end(), {"-p", "--output-format", "stream-json", "--verbose",
                                       "--dangerously-skip-permissions"});
    AddConversation(resume, plan);
    if (::geteuid() == 0) plan.env["IS_SANDBOX"] = "1";
    plan.stdin_data = s.context;
  }

  void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) const override {
    AddConversation(resume, plan);
    if (!s.context.empty()) plan.argv.push_back(s.context);
  }

  // --resume ID continues a conversation; otherwise --session-id pre-assigns a fresh one so the
  // conversation id is known before the first byte.
  static void AddConversation(const std::optional<std::string>& resume, LaunchPlan& plan) {
    std::string id = resume.value_or(NewUuidV4());
    plan.argv.insert(plan.argv.end(), {resume ? "--resume" : "--session-id", id});
    plan.agent_session_id = id;
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    bool key = !Getenv("ANTHROPIC_API_KEY").empty() || !Getenv("ANTHROPIC_AUTH_TOKEN").empty();
    std::string config_dir = Getenv("CLAUDE_CONFIG_DIR").empty() ? HomeDir() + "/.claude" : Getenv("CLAUDE_CONFIG_DIR");
    bool login = Exists(config_dir + "/.credentials.json");
    if (key) notes.push_back("API key found in the environment");
    if (login) notes.push_back("logged in through `claude /login`");
    if (!key && !login)
      notes.push_back("no ANTHROPIC_API_KEY and no login found: run `claude` once and /login, or set "
                      "ANTHROPIC_API_KEY");
    if (std::string base = Getenv("ANTHROPIC_BASE_URL"); !base.empty()) notes.push_back("ANTHROPIC_BASE_URL=" + base);
  }
};

// Codex CLI (REPORT.md §3): `codex exec --json -`, prompt on stdin; resume
// `codex exec --json resume <thread_id> -`. Usage in turn.completed is cumulative over the thread.
class CodexAdapter : public CliAdapter {
 public:
  CodexAdapter()
      : CliAdapter("codex", "codex", "Codex CLI",
                   "install it with `npm install -g @openai/codex` (or set AGENTMUX_CODEX_BIN to its path)") {}

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    return stderr_tail.find("no rollout found") != std::string::npos ||
           agent_error.find("no rollout found") != std::string::npos;
  }

  std::unique_ptr<OutputParser> NewParser(const SessionRecord& s, const EnvMap&) const override {
    return s.mode == SessionMode::kAutonomous ? MakeCodexParser() : nullptr;
  }

 protected:
  void BuildAutonomous(const SessionRecord& s, const std::optional<std::string>& resume,
                       LaunchPlan& plan) const override {
    // No approvals in an unattended run; `--skip-git-repo-check`: a project need not be a repo.
    plan.argv.insert(plan.argv.end(), {"exec", "--json", "--skip-git-repo-check",
                                       "--dangerously-bypass-approvals-and-sandbox"});
    if (resume) plan.argv.insert(plan.argv.end(), {"resume", *resume});
    plan.argv.push_back("-");  // the prompt is read from stdin
    plan.stdin_data = s.context;
  }

  void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) const override {
    if (resume) plan.argv.insert(plan.argv.end(), {"resume", *resume});
    if (!s.context.empty()) plan.argv.push_back(s.context);
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    std::string home = Getenv("CODEX_HOME").empty() ? HomeDir() + "/.codex" : Getenv("CODEX_HOME");
    bool login = Exists(home + "/auth.json");
    bool key = !Getenv("OPENAI_API_KEY").empty() || !Getenv("CODEX_API_KEY").empty();
    std::string config = home + "/config.toml";
    bool provider = false;
    if (Exists(config)) {
      std::ifstream in(config);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      provider = text.find("model_provider") != std::string::npos;
      notes.push_back("config: " + config + (provider ? " (sets model_provider)" : ""));
    }
    if (login) notes.push_back("logged in through `codex login` (" + home + "/auth.json)");
    if (key) notes.push_back("API key found in the environment");
    if (!login && !key && !provider)
      notes.push_back("no login, no OPENAI_API_KEY and no model_provider in " + config +
                      ": run `codex login`, or set OPENAI_API_KEY");
  }
};

// OpenCode (REPORT.md §4): `opencode run --format json --auto`, the message on stdin (a quoted
// argv word reaches the model with literal quotes); resume `-s ses_…`. Usage per step.
class OpencodeAdapter : public CliAdapter {
 public:
  OpencodeAdapter()
      : CliAdapter("opencode", "opencode", "OpenCode",
                   "install it with `npm install -g opencode-ai` (or set AGENTMUX_OPENCODE_BIN to its path)") {}

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    return stderr_tail.find("Session not found") != std::string::npos ||
           agent_error.find("Session not found") != std::string::npos;
  }

  std::unique_ptr<OutputParser> NewParser(const SessionRecord& s, const EnvMap&) const override {
    return s.mode == SessionMode::kAutonomous ? MakeOpencodeParser() : nullptr;
  }

 protected:
  void BuildAutonomous(const SessionRecord& s, const std::optional<std::string>& resume,
                       LaunchPlan& plan) const override {
    // --auto: approve what is not explicitly denied (nobody is there to answer).
    plan.argv.insert(plan.argv.end(), {"run", "--format", "json", "--auto"});
    if (resume) plan.argv.insert(plan.argv.end(), {"-s", *resume});
    plan.stdin_data = s.context;
    plan.env["OPENCODE_DISABLE_AUTOUPDATE"] = "1";
  }

  void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) const override {
    if (resume) plan.argv.insert(plan.argv.end(), {"-s", *resume});
    if (!s.context.empty()) plan.argv.insert(plan.argv.end(), {"--prompt", s.context});
    plan.env["OPENCODE_DISABLE_AUTOUPDATE"] = "1";
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    std::string data = Getenv("XDG_DATA_HOME").empty() ? HomeDir() + "/.local/share" : Getenv("XDG_DATA_HOME");
    std::string conf = Getenv("XDG_CONFIG_HOME").empty() ? HomeDir() + "/.config" : Getenv("XDG_CONFIG_HOME");
    bool login = Exists(data + "/opencode/auth.json");
    bool config = !Getenv("OPENCODE_CONFIG_CONTENT").empty() || !Getenv("OPENCODE_CONFIG").empty() ||
                  Exists(conf + "/opencode/opencode.json") || Exists(conf + "/opencode/opencode.jsonc");
    bool key = false;
    for (const char* k : {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY"})
      key |= !Getenv(k).empty();
    if (login) notes.push_back("logged in through `opencode auth login`");
    if (config) notes.push_back("opencode config found (a project's opencode.json is read too)");
    if (key) notes.push_back("a provider API key found in the environment");
    if (!login && !config && !key)
      notes.push_back("no login, no provider key and no opencode config found: run `opencode auth login`, or "
                      "add a provider in the project's opencode.json");
  }
};

// Gemini CLI (REPORT.md §5): `gemini -p "" -o stream-json -y --skip-trust`, the context on stdin
// (-p is appended to stdin); `--session-id` pre-assigns the id, resume `--resume <id>`.
class GeminiAdapter : public CliAdapter {
 public:
  GeminiAdapter()
      : CliAdapter("gemini", "gemini", "Gemini CLI",
                   "install it with `npm install -g @google/gemini-cli` (or set AGENTMUX_GEMINI_BIN to its path)") {}

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    for (const auto* text : {&agent_error, &stderr_tail})
      if (text->find("Error resuming session") != std::string::npos ||
          text->find("Invalid session identifier") != std::string::npos)
        return true;
    return false;
  }

  std::unique_ptr<OutputParser> NewParser(const SessionRecord& s, const EnvMap&) const override {
    return s.mode == SessionMode::kAutonomous ? MakeGeminiParser() : nullptr;
  }

 protected:
  void BuildAutonomous(const SessionRecord& s, const std::optional<std::string>& resume,
                       LaunchPlan& plan) const override {
    plan.argv.insert(plan.argv.end(), {"-p", "", "-o", "stream-json", "--yolo", "--skip-trust"});
    AddConversation(resume, plan);
    plan.stdin_data = s.context;
  }

  void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) const override {
    AddConversation(resume, plan);
    if (!s.context.empty()) plan.argv.insert(plan.argv.end(), {"-i", s.context});
  }

  static void AddConversation(const std::optional<std::string>& resume, LaunchPlan& plan) {
    std::string id = resume.value_or(NewUuidV4());
    plan.argv.insert(plan.argv.end(), {resume ? "--resume" : "--session-id", id});
    plan.agent_session_id = id;
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    std::string dir = HomeDir() + "/.gemini";
    bool key = !Getenv("GEMINI_API_KEY").empty() || !Getenv("GOOGLE_API_KEY").empty();
    bool login = Exists(dir + "/oauth_creds.json");
    std::string selected;
    if (Exists(dir + "/settings.json")) {
      std::ifstream in(dir + "/settings.json");
      auto j = nlohmann::json::parse(in, nullptr, false, /*ignore_comments=*/true);
      if (j.is_object()) {
        std::string auth = JStr(JObj(JObj(j, "security"), "auth"), "selectedType");
        selected = auth.empty() ? JStr(j, "selectedAuthType") : auth;
      }
    }
    if (login) notes.push_back("logged in with Google (" + dir + "/oauth_creds.json)");
    if (key) notes.push_back("API key found in the environment");
    if (!selected.empty()) notes.push_back("auth type: " + selected + " (" + dir + "/settings.json)");
    if (!login && !key)
      notes.push_back("no Google login and no GEMINI_API_KEY: run `gemini` once to log in, or set GEMINI_API_KEY");
    else if (key && !login && selected.empty())
      notes.push_back("headless runs need an auth type: set security.auth.selectedType to \"gemini-api-key\" in " + dir +
                      "/settings.json (else: \"Invalid auth method selected\")");
  }
};

// GitHub Copilot CLI (REPORT.md §6): `copilot --output-format json --allow-all-tools`, the prompt
// on stdin; `--session-id` pre-assigns the id, resume `--resume <id>`. Token counts are only in its
// state dir ($COPILOT_HOME or ~/.copilot/session-state/<id>/events.jsonl), read at the end.
class CopilotAdapter : public CliAdapter {
 public:
  CopilotAdapter()
      : CliAdapter("copilot", "copilot", "GitHub Copilot CLI",
                   "install it with `npm install -g @github/copilot` (or set AGENTMUX_COPILOT_BIN to its path)") {}

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    return stderr_tail.find("No session, task, or name matched") != std::string::npos ||
           agent_error.find("No session, task, or name matched") != std::string::npos;
  }

  std::unique_ptr<OutputParser> NewParser(const SessionRecord& s, const EnvMap& env) const override {
    if (s.mode != SessionMode::kAutonomous) return nullptr;
    std::string home;
    if (auto it = env.find("COPILOT_HOME"); it != env.end() && !it->second.empty()) home = it->second;
    else if (auto h = env.find("HOME"); h != env.end()) home = h->second + "/.copilot";
    return MakeCopilotParser(home);
  }

 protected:
  void BuildAutonomous(const SessionRecord& s, const std::optional<std::string>& resume,
                       LaunchPlan& plan) const override {
    plan.argv.insert(plan.argv.end(), {"--output-format", "json", "--allow-all-tools"});
    AddConversation(resume, plan);
    plan.stdin_data = s.context;
    plan.env["COPILOT_AUTO_UPDATE"] = "false";
  }

  void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) const override {
    AddConversation(resume, plan);
    if (!s.context.empty()) plan.argv.insert(plan.argv.end(), {"-i", s.context});
    plan.env["COPILOT_AUTO_UPDATE"] = "false";
  }

  static void AddConversation(const std::optional<std::string>& resume, LaunchPlan& plan) {
    std::string id = resume.value_or(NewUuidV4());
    plan.argv.push_back((resume ? "--resume=" : "--session-id=") + id);
    plan.agent_session_id = id;
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    std::string home = Getenv("COPILOT_HOME").empty() ? HomeDir() + "/.copilot" : Getenv("COPILOT_HOME");
    bool token = !Getenv("COPILOT_GITHUB_TOKEN").empty() || !Getenv("GH_TOKEN").empty() || !Getenv("GITHUB_TOKEN").empty();
    bool byok = !Getenv("COPILOT_PROVIDER_BASE_URL").empty();
    bool login = false;
    if (Exists(home + "/config.json")) {
      std::ifstream in(home + "/config.json");
      auto j = nlohmann::json::parse(in, nullptr, false, /*ignore_comments=*/true);
      login = j.is_object() && (j.contains("logged_in_users") || j.contains("last_logged_in_user"));
    }
    if (login) notes.push_back("logged in through `copilot /login`");
    if (token) notes.push_back("GitHub token found in the environment");
    if (byok) notes.push_back("own model provider: COPILOT_PROVIDER_BASE_URL=" + Getenv("COPILOT_PROVIDER_BASE_URL"));
    if (!login && !token && !byok)
      notes.push_back("no GitHub login, no GH_TOKEN and no COPILOT_PROVIDER_BASE_URL: run `copilot` once and "
                      "/login, or set GH_TOKEN");
  }
};

}  // namespace

std::optional<std::string> ProbeVersion(const std::string& binary) {
  struct Cached {
    int64_t mtime = 0;
    std::optional<std::string> version;
  };
  static std::mutex mu;
  static std::map<std::string, Cached> cache;
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) return std::nullopt;
  int64_t mtime = static_cast<int64_t>(st.st_mtime);
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(binary); it != cache.end() && it->second.mtime == mtime) return it->second.version;
  }
  auto version = NpmPackageVersion(binary);
  if (!version) version = RunVersion(binary);
  std::lock_guard lock(mu);
  cache[binary] = {mtime, version};
  return version;
}

std::unique_ptr<Adapter> MakeShellAdapter() { return std::make_unique<ShellAdapter>(); }
std::unique_ptr<Adapter> MakeClaudeAdapter() { return std::make_unique<ClaudeAdapter>(); }
std::unique_ptr<Adapter> MakeCodexAdapter() { return std::make_unique<CodexAdapter>(); }
std::unique_ptr<Adapter> MakeOpencodeAdapter() { return std::make_unique<OpencodeAdapter>(); }
std::unique_ptr<Adapter> MakeGeminiAdapter() { return std::make_unique<GeminiAdapter>(); }
std::unique_ptr<Adapter> MakeCopilotAdapter() { return std::make_unique<CopilotAdapter>(); }

AdapterRegistry::AdapterRegistry() {
  adapters_.push_back(MakeShellAdapter());
  adapters_.push_back(MakeClaudeAdapter());
  adapters_.push_back(MakeCodexAdapter());
  adapters_.push_back(MakeOpencodeAdapter());
  adapters_.push_back(MakeGeminiAdapter());
  adapters_.push_back(MakeCopilotAdapter());
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
