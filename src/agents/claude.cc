// Claude Code: its launch plan, its stream-json parser and its transcript builder (claude.h).
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
#include "agents/claude.h"

namespace agentmux {
namespace fs = std::filesystem;

using nlohmann::json;

namespace {

// Claude Code (REPORT.md §2): `claude -p --output-format stream-json --verbose`, context on stdin.
class ClaudeAdapter : public CliAdapter {
 public:
  std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder() const override { return MakeClaudeTranscriptBuilder(); }
  bool SupportsFork() const override { return true; }
  ClaudeAdapter()
      : CliAdapter("claude", "claude", "Claude Code",
                   "install Claude Code with `npm install -g @anthropic-ai/claude-code` (or set "
                   "AGENTMUX_CLAUDE_BIN to its path)") {}

  bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const override {
    return agent_error.find("No conversation found") != std::string::npos ||
           stderr_tail.find("No conversation found") != std::string::npos;
  }

  bool ReadsScreen() const override { return true; }

  // Claude Code 2.1's TUI (tests/fixtures/tui/claude-*.bin): while it works the status row says
  // "esc to interrupt"; idle, the input box ("❯") stands between two rules with no such row; a
  // permission question shows "Do you want to proceed?" over numbered choices ("❯ 1. Yes").
  std::optional<AttentionReason> ScreenAttention(const std::vector<std::string>& rows,
                                                 std::string& message) const override {
    if (AnyRowHas(rows, "1. Yes")) {
      for (const auto& row : rows)
        if (auto at = row.find("Do you want to"); at != std::string::npos) {
          message = row.substr(at);
          return AttentionReason::kPermission;
        }
    }
    if (AnyRowStartsWith(rows, "\u276f") && !AnyRowHas(rows, "esc to interrupt")) return AttentionReason::kInput;  // ❯
    return std::nullopt;
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
    AddConversation(s, resume, plan);
    if (::geteuid() == 0) plan.env["IS_SANDBOX"] = "1";
    plan.stdin_data = s.context;
  }

  void BuildGuided(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) const override {
    AddConversation(s, resume, plan);
    if (!s.context.empty()) plan.argv.push_back(s.context);
  }

  // --resume ID continues a conversation (with --fork-session: a copy of it under a new id, which
  // the output then reports — metadata fork_conversation, a restore's continue); otherwise
  // --session-id pre-assigns a fresh one so the conversation id is known before the first byte.
  static void AddConversation(const SessionRecord& s, const std::optional<std::string>& resume, LaunchPlan& plan) {
    if (resume && s.metadata.count("fork_conversation")) {
      plan.argv.insert(plan.argv.end(), {"--resume", *resume, "--fork-session"});
      return;
    }
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

}  // namespace

std::unique_ptr<Adapter> MakeClaudeAdapter() { return std::make_unique<ClaudeAdapter>(); }

namespace {

int64_t IntField(const json& j, const char* key) { return JInt(j, key); }

}  // namespace

bool ClaudeCostIsCumulative(const std::string& version) {
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(version.c_str(), "%d.%d.%d", &major, &minor, &patch) != 3) return false;
  return std::tie(major, minor, patch) >= std::make_tuple(2, 1, 330);
}

bool ClaudeStreamParser::OnJson(const json& j) {
  std::string type = JStr(j, "type", "");
  AgentReport& r = report_;
  if (type == "system" && JStr(j, "subtype", "") == "init") {
    if (j.contains("session_id") && j["session_id"].is_string()) r.agent_session_id = j["session_id"].get<std::string>();
    if (j.contains("model") && j["model"].is_string()) r.model = j["model"].get<std::string>();
    if (j.contains("claude_code_version") && j["claude_code_version"].is_string()) {
      r.agent_version = j["claude_code_version"].get<std::string>();
      r.cost_cumulative = ClaudeCostIsCumulative(*r.agent_version);
    }
    Emit("turn_started");
    return true;
  }
  if (type == "assistant" && j.contains("message") && j["message"].is_object()) {
    const json& content = j["message"].contains("content") ? j["message"]["content"] : json();
    if (content.is_array())
      for (const auto& block : content)
        if (block.is_object() && JStr(block, "type", "") == "tool_use")
          Emit("tool_use", {{"tool", JStr(block, "name", "tool")},
                            {"input", SummarizeToolInput(block.contains("input") ? block["input"] : json::object())}});
    return false;
  }
  if (type == "result") {
    if (j.contains("session_id") && j["session_id"].is_string()) r.agent_session_id = j["session_id"].get<std::string>();
    // One process may print several results (stream-json input, one per turn): `usage` and
    // `num_turns` cover each turn alone and add up; `total_cost_usd` already runs over the process.
    if (auto it = j.find("usage"); it != j.end() && it->is_object()) {
      Usage u = r.usage.value_or(Usage{});
      u.input_tokens = SatAdd(u.input_tokens, IntField(*it, "input_tokens"));
      u.output_tokens = SatAdd(u.output_tokens, IntField(*it, "output_tokens"));
      u.cache_read_tokens = SatAdd(u.cache_read_tokens, IntField(*it, "cache_read_input_tokens"));
      u.cache_creation_tokens = SatAdd(u.cache_creation_tokens, IntField(*it, "cache_creation_input_tokens"));
      r.usage = u;
    }
    if (JAt(j, "total_cost_usd").is_number()) r.cost_usd = JNum(j, "total_cost_usd");
    if (JAt(j, "num_turns").is_number()) r.num_turns = SatAdd(r.num_turns.value_or(0), JInt(j, "num_turns"));
    bool is_error = JBool(j, "is_error", false) || JStr(j, "subtype", "") == "error_during_execution" ||
                    JStr(j, "subtype", "").rfind("error", 0) == 0;
    r.is_error = is_error;
    if (is_error) {
      std::string message;
      if (auto it = j.find("errors"); it != j.end() && it->is_array()) {
        for (const auto& e : *it)
          if (e.is_string()) message += (message.empty() ? "" : "; ") + e.get<std::string>();
      }
      if (message.empty() && j.contains("result") && j["result"].is_string()) message = j["result"].get<std::string>();
      if (message.empty()) message = "Claude Code reported an error (" + JStr(j, "subtype", "unknown") + ")";
      r.error = message;
      Emit("error", {{"message", message}});
    }
    Emit("turn_finished", {{"is_error", is_error}});
    return true;
  }
  return false;
}

namespace {

class ClaudeTranscriptBuilder : public TranscriptBuilder {
 protected:
  bool OnEvent(const json& ev) override {
    std::string type = JStr(ev, "type");
    if (type == "system") {
      System(ev);
    } else if (type == "assistant" || type == "user") {
      const json& content = JAt(JObj(ev, "message"), "content");
      if (content.is_string()) {
        const std::string& text = content.get_ref<const std::string&>();
        if (text.find_first_not_of(" \t\r\n") != std::string::npos) Emit(TranscriptItem::Text(type, text));
      }
      if (content.is_array())
        for (const auto& block : content) Block(type, block);
    } else if (type == "result") {
      TranscriptItem r = TranscriptItem::Result(JStr(ev, "subtype", "result"), JBool(ev, "is_error"));
      r.num_turns = OptInt(ev, "num_turns");
      r.duration_ms = OptInt(ev, "duration_ms");
      r.cost_usd = OptNum(ev, "total_cost_usd");
      if (const json& u = JAt(ev, "usage"); u.is_object())
        r.usage = ItemUsage{OptInt(u, "input_tokens"), OptInt(u, "output_tokens"), OptInt(u, "cache_read_input_tokens"),
                            OptInt(u, "cache_creation_input_tokens")};
      r.result_text = JText(ev, "result");
      r.conversation_id = JText(ev, "session_id");
      Emit(std::move(r));
    }
    // stream_event (partial messages) and future types: the full message follows anyway.
    return true;
  }

 private:
  void System(const json& ev) {
    std::string subtype = JStr(ev, "subtype", "system");
    if (subtype == "init") {
      TranscriptItem init = TranscriptItem::Init("Claude Code", JText(ev, "session_id"));
      init.model = JText(ev, "model");
      init.cwd = JText(ev, "cwd");
      init.tools = static_cast<int64_t>(JArr(ev, "tools").size());
      init.version = JText(ev, "claude_code_version");
      Emit(std::move(init));
    } else if (subtype == "api_retry") {
      const json& attempt = JAt(ev, "attempt");
      const json& max = JAt(ev, "max_retries");
      std::string text = "attempt " + (attempt.is_number() ? NumberText(attempt) : "?") + " of " +
                         (max.is_number() ? NumberText(max) : "?");
      if (const json& status = JAt(ev, "error_status"); status.is_number() || status.is_string())
        text += " · HTTP " + NumberText(status);
      if (auto error = JText(ev, "error"); error && !error->empty()) text += " · " + *error;
      if (auto delay = OptNum(ev, "retry_delay_ms")) {
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.1f", *delay / 1000);
        text += std::string(" · retrying in ") + secs + " s";
      }
      Emit(TranscriptItem::System("API retry", text));
    } else if (subtype != "status") {
      // "status: requesting" is noise between turns; everything else is worth a line.
      Emit(TranscriptItem::System(subtype, JText(ev, "status").value_or(JStr(ev, "message"))));
    }
  }

  void Block(const std::string& role, const json& block) {
    std::string type = JStr(block, "type");
    if (type == "text" && !JStr(block, "text").empty()) {
      Emit(TranscriptItem::Text(role, JStr(block, "text")));
    } else if (type == "thinking" && !JStr(block, "thinking").empty()) {
      Emit(TranscriptItem::Thinking(JStr(block, "thinking")));
    } else if (type == "tool_use") {
      ToolUse(JStr(block, "id"), JStr(block, "name", "tool"), JAt(block, "input"));
    } else if (type == "tool_result") {
      ToolResult(JStr(block, "tool_use_id"), ContentText(JAt(block, "content")), JBool(block, "is_error"));
    }
  }
};

}  // namespace

std::unique_ptr<TranscriptBuilder> MakeClaudeTranscriptBuilder() { return std::make_unique<ClaudeTranscriptBuilder>(); }

}  // namespace agentmux
