// Codex CLI: its launch plan, its `exec --json` parser and its transcript builder.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agents/cli_adapter.h"
#include "agents/screen.h"
#include "agents/json_lines.h"
#include "agents/parsers.h"
#include "base/ids.h"
#include "base/json_access.h"
#include "base/saturating.h"

namespace agentmux {
namespace fs = std::filesystem;

std::unique_ptr<TranscriptBuilder> MakeCodexTranscriptBuilder();
using nlohmann::json;

namespace {

// Codex CLI (REPORT.md §3): `codex exec --json -`, prompt on stdin; resume
// `codex exec --json resume <thread_id> -`. Usage in turn.completed is cumulative over the thread.
class CodexAdapter : public CliAdapter {
 public:
  // Codex CLI 0.169's TUI (tests/fixtures/tui/codex-idle.bin): while it works a row says "esc to
  // interrupt"; idle, its composer row starts with "›" (a selection question's rows do too: it
  // waits for an answer either way).
  bool ReadsScreen() const override { return true; }
  std::optional<AttentionReason> ScreenAttention(const std::vector<std::string>& rows, std::string&) const override {
    if (AnyRowStartsWith(rows, "\u203a") && !AnyRowHas(rows, "esc to interrupt")) return AttentionReason::kInput;
    return std::nullopt;
  }
  std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder() const override { return MakeCodexTranscriptBuilder(); }
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

// The transcript of `exec --json` (transcript.h): thread.started → init; items (agent_message,
// reasoning, command_execution → "shell", file_change → "patch", mcp_tool_call → "server.tool",
// web_search, todo_list → a plan, error → a warning); turn.completed/failed → result; error.
class CodexTranscriptBuilder : public TranscriptBuilder {
 protected:
  bool OnEvent(const json& ev) override {
    std::string type = JStr(ev, "type");
    if (type == "thread.started") {
      Emit(TranscriptItem::Init("Codex", JText(ev, "thread_id")));
    } else if (type == "turn.started") {
      // nothing to show: turn.completed carries the figures
    } else if (type == "turn.completed") {
      const json& u = JObj(ev, "usage");
      TranscriptItem r = TranscriptItem::Result("success", false);
      r.usage = ItemUsage{OptInt(u, "input_tokens"), Sum(OptInt(u, "output_tokens"), OptInt(u, "reasoning_output_tokens")),
                          OptInt(u, "cached_input_tokens"), OptInt(u, "cache_write_input_tokens")};
      r.note = "Codex counts the whole conversation so far, earlier runs included";
      Emit(std::move(r));
    } else if (type == "turn.failed") {
      std::string message = JText(JObj(ev, "error"), "message").value_or("the turn failed");
      TranscriptItem r = TranscriptItem::Result("error", true);
      // The same words usually came as an error line just before.
      const TranscriptItem* last = Last();
      if (!(last && last->kind == ItemKind::kError && last->text == message)) r.result_text = message;
      Emit(std::move(r));
    } else if (type == "error") {
      Emit(TranscriptItem::Error(JStr(ev, "message", "error")));
    } else if (type == "item.started" || type == "item.updated" || type == "item.completed") {
      return Item(type, JObj(ev, "item"));
    } else {
      return false;
    }
    return true;
  }

 private:
  // {key: item[key]}, or {} when the item has no such key.
  static json Only(const json& item, const char* key) {
    json out = json::object();
    if (!JAt(item, key).is_null()) out[key] = JAt(item, key);
    return out;
  }

  bool Item(const std::string& phase, const json& item) {
    std::string id = JStr(item, "id");
    std::string type = JStr(item, "type");
    bool done = phase == "item.completed";
    bool failed = JStr(item, "status") == "failed";
    if (type == "agent_message" || type == "reasoning") {
      std::string text = JStr(item, "text");
      if (done && !text.empty())
        Emit(type == "reasoning" ? TranscriptItem::Thinking(text) : TranscriptItem::Text("assistant", text));
    } else if (type == "command_execution") {
      ToolUse(id, "shell", Only(item, "command"));
      if (!done) return true;
      std::optional<int64_t> code = OptInt(item, "exit_code");
      std::string output = JStr(item, "aggregated_output");
      if (output.empty()) output = code ? "exit code " + std::to_string(*code) : JAt(item, "status").is_string() ? JStr(item, "status") : "";
      ToolResult(id, output, failed || (code && *code != 0));
    } else if (type == "file_change") {
      const json& changes = JArr(item, "changes");
      ToolUse(id, "patch", {{"changes", changes}});
      if (!done) return true;
      std::string content = JStr(item, "status");
      for (const auto& c : changes)
        if (c.is_object()) content += (content.empty() ? "" : "\n") + JStr(c, "kind", "change") + " " + JStr(c, "path");
      ToolResult(id, content, failed);
    } else if (type == "mcp_tool_call") {
      std::string server = JStr(item, "server"), tool = JStr(item, "tool");
      std::string name = server.empty() ? tool : tool.empty() ? server : server + "." + tool;
      ToolUse(id, name.empty() ? "mcp" : name, JAt(item, "arguments"));
      if (!done) return true;
      std::optional<std::string> error = JText(JObj(item, "error"), "message");
      std::string result = JAt(item, "result").is_object() ? ContentText(JAt(JObj(item, "result"), "content")) : "";
      ToolResult(id, error.value_or(result), failed || error.has_value());
    } else if (type == "web_search") {
      ToolUse(id, "web_search", Only(item, "query"));
    } else if (type == "todo_list") {
      if (!done && phase != "item.updated") return true;
      std::string plan;
      for (const auto& t : JArr(item, "items"))
        if (t.is_object()) plan += (plan.empty() ? "" : " · ") + std::string(JBool(t, "completed") ? "☑ " : "☐ ") + JStr(t, "text");
      Emit(TranscriptItem::System("Plan", plan));
    } else if (type == "error") {
      // e.g. "Model metadata for … not found. Defaulting to fallback metadata": the run goes on.
      if (done) Emit(TranscriptItem::System("Warning", JStr(item, "message")));
    } else {
      return false;
    }
    return true;
  }
};

}  // namespace

std::unique_ptr<Adapter> MakeCodexAdapter() { return std::make_unique<CodexAdapter>(); }
std::unique_ptr<OutputParser> MakeCodexParser() { return std::make_unique<CodexParser>(); }
std::unique_ptr<TranscriptBuilder> MakeCodexTranscriptBuilder() { return std::make_unique<CodexTranscriptBuilder>(); }

}  // namespace agentmux
