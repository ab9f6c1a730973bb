// Codex CLI: its launch plan, its `exec --json` parser and its transcript.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agents/cli_adapter.h"
#include "agents/json_lines.h"
#include "agents/parsers.h"
#include "base/ids.h"
#include "base/json_access.h"
#include "base/saturating.h"

namespace agentmux {
namespace fs = std::filesystem;

std::unique_ptr<TranscriptRenderer> MakeCodexRenderer();
using nlohmann::json;

namespace {

// Codex CLI (REPORT.md §3): `codex exec --json -`, prompt on stdin; resume
// `codex exec --json resume <thread_id> -`. Usage in turn.completed is cumulative over the thread.
class CodexAdapter : public CliAdapter {
 public:
  std::unique_ptr<TranscriptRenderer> NewRenderer() const override { return MakeCodexRenderer(); }
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

class CodexParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = JStr(j, "type", "");
    AgentReport& r = report_;
    if (type == "thread.started") {
      r.agent_session_id = JText(j, "thread_id");
      return true;
    }
    if (type == "turn.started") {
      Emit("turn_started");
      return false;
    }
    if (type == "item.started" || type == "item.completed") {
      // Tools: command_execution {command}, file_change {changes[].path}, mcp_tool_call, web_search.
      const json& item = j.contains("item") && j["item"].is_object() ? j["item"] : json::object();
      std::string kind = JStr(item, "type", "");
      std::string id = JStr(item, "id", "");
      bool tool = kind == "command_execution" || kind == "file_change" || kind == "mcp_tool_call" || kind == "web_search";
      if (tool && !tools_seen_.count(id)) {
        tools_seen_.insert(id);
        std::string input;
        if (kind == "command_execution") input = JStr(item, "command", "");
        else if (kind == "file_change" && item.contains("changes") && item["changes"].is_array()) {
          for (const auto& c : item["changes"])
            if (c.is_object()) input += (input.empty() ? "" : ", ") + JStr(c, "kind", "") + " " + JStr(c, "path", "");
        } else input = SummarizeToolInput(item);
        Emit("tool_use", {{"tool", kind == "mcp_tool_call" ? JStr(item, "tool", kind) : kind},
                          {"input", SummarizeToolInput(json(input))}});
      }
      return false;
    }
    if (type == "turn.completed") {
      r.usage_cumulative = true;
      if (auto it = j.find("usage"); it != j.end() && it->is_object()) {
        Usage u;
        u.input_tokens = JInt(*it, "input_tokens");
        u.cache_read_tokens = JInt(*it, "cached_input_tokens");
        u.cache_creation_tokens = JInt(*it, "cache_write_input_tokens");
        u.output_tokens = SatAdd(JInt(*it, "output_tokens"), JInt(*it, "reasoning_output_tokens"));
        r.usage = u;
      }
      r.num_turns = SatAdd(r.num_turns.value_or(0), 1);
      r.is_error = false;
      Emit("turn_finished", {{"is_error", false}});
      return true;
    }
    if (type == "turn.failed") {
      r.is_error = true;
      r.error = j.contains("error") && j["error"].is_object() ? JStr(j["error"], "message", "turn failed") : "turn failed";
      Emit("error", {{"message", *r.error}});
      Emit("turn_finished", {{"is_error", true}});
      return true;
    }
    if (type == "error") {
      // Also retry notices ("Reconnecting..."): remembered as the last word, not a failure yet.
      std::string message = JStr(j, "message", "error");
      if (!r.is_error.value_or(false)) r.error = message;
      Emit("error", {{"message", message}});
      return true;
    }
    return false;
  }

 private:
  std::set<std::string> tools_seen_;
};

class CodexRenderer : public JsonRenderer {
  std::string Render(const json& j) override {
    std::string type = JStr(j, "type", "");
    if (type == "thread.started") return "● Codex · conversation " + JStr(j, "thread_id", "?") + "\n";
    if (type == "error") return "↻ " + Clip(JStr(j, "message", "error"), 300) + "\n";
    if (type == "turn.failed") return "✗ failed: " + Clip(JStr(JObj(j, "error"), "message", "turn failed"), 500) + "\n";
    if (type == "turn.completed") {
      const json& u = JObj(j, "usage");
      return "✓ done · " + Tokens(JInt(u, "input_tokens"), JInt(u, "output_tokens")) + " (conversation so far)\n";
    }
    const json& item = JObj(j, "item");
    std::string kind = JStr(item, "type", "");
    if (type == "item.started" && kind == "command_execution") return Call("shell", JStr(item, "command", ""));
    if (type != "item.completed") return "";
    if (kind == "agent_message") return JStr(item, "text", "") + "\n";
    if (kind == "command_execution")
      return "← exit " + (item.contains("exit_code") && item["exit_code"].is_number() ? std::to_string(JInt(item, "exit_code")) : "?") +
             ": " + Clip(JStr(item, "aggregated_output", ""), 200) + "\n";
    if (kind == "file_change") {
      std::string files;
      if (item.contains("changes") && item["changes"].is_array())
        for (const auto& c : item["changes"])
          if (c.is_object()) files += (files.empty() ? "" : ", ") + JStr(c, "kind", "") + " " + JStr(c, "path", "");
      return "→ patch(" + files + ") " + JStr(item, "status", "") + "\n";
    }
    if (kind == "error") return "! " + Clip(JStr(item, "message", ""), 300) + "\n";
    return "";
  }
};

}  // namespace

std::unique_ptr<Adapter> MakeCodexAdapter() { return std::make_unique<CodexAdapter>(); }
std::unique_ptr<OutputParser> MakeCodexParser() { return std::make_unique<CodexParser>(); }
std::unique_ptr<TranscriptRenderer> MakeCodexRenderer() { return std::make_unique<CodexRenderer>(); }

}  // namespace agentmux
