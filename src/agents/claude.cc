// Claude Code: its launch plan, its stream-json parser and its transcript (claude.h).
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
#include "agents/claude.h"

namespace agentmux {
namespace fs = std::filesystem;

std::unique_ptr<TranscriptRenderer> MakeClaudeRenderer();
using nlohmann::json;

namespace {

// Claude Code (REPORT.md §2): `claude -p --output-format stream-json --verbose`, context on stdin.
class ClaudeAdapter : public CliAdapter {
 public:
  std::unique_ptr<TranscriptRenderer> NewRenderer() const override { return MakeClaudeRenderer(); }
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

class ClaudeRenderer : public TranscriptRenderer {
 public:
  std::string Line(std::string_view line) override { return RenderClaudeLine(line); }
};

}  // namespace

std::unique_ptr<Adapter> MakeClaudeAdapter() { return std::make_unique<ClaudeAdapter>(); }
std::unique_ptr<TranscriptRenderer> MakeClaudeRenderer() { return std::make_unique<ClaudeRenderer>(); }

namespace {

std::string Truncate(std::string s, size_t max) {
  if (s.size() > max) s = s.substr(0, max) + "…";
  return s;
}

std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

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

static std::string RenderClaudeJson(std::string_view trimmed, const json& j);

std::string RenderClaudeLine(std::string_view line) {
  std::string_view trimmed = line;
  while (!trimmed.empty() && (trimmed.back() == '\r' || trimmed.back() == '\n')) trimmed.remove_suffix(1);
  if (trimmed.empty()) return "";
  json j = json::parse(trimmed, nullptr, false);
  if (!j.is_object()) return std::string(trimmed) + "\n";
  try {
    return RenderClaudeJson(trimmed, j);
  } catch (const std::exception&) {
    return std::string(trimmed) + "\n";  // shown as printed rather than not at all
  }
}

static std::string RenderClaudeJson(std::string_view trimmed, const json& j) {
  std::string type = JStr(j, "type", "");
  std::string out;
  if (type == "system") {
    std::string sub = JStr(j, "subtype", "");
    if (sub == "init")
      out = "● Claude Code " + JStr(j, "claude_code_version", "") + " · model " + JStr(j, "model", "?") +
            " · conversation " + JStr(j, "session_id", "?") + "\n";
    else if (sub == "api_retry")
      out = "↻ API retry " + std::to_string(IntField(j, "attempt")) + "/" + std::to_string(IntField(j, "max_retries")) +
            " (" + JStr(j, "error", "error") + ")\n";
    return out;
  }
  if (type == "assistant" || type == "user") {
    const json& content = j.contains("message") ? JArr(j["message"], "content") : json::array();
    if (content.is_string()) return type == "user" ? "" : content.get<std::string>() + "\n";
    for (const auto& block : content) {
      std::string bt = JStr(block, "type", "");
      if (bt == "text" && type == "assistant") {
        out += JStr(block, "text", "") + "\n";
      } else if (bt == "tool_use") {
        std::string args;
        if (block.contains("input") && block["input"].is_object()) {
          for (const auto& [k, v] : block["input"].items()) {
            if (!args.empty()) args += ", ";
            args += k + "=" + Truncate(OneLine(v.is_string() ? v.get<std::string>() : v.dump()), 60);
          }
        }
        out += "→ " + JStr(block, "name", "tool") + "(" + args + ")\n";
      } else if (bt == "tool_result") {
        std::string text;
        if (block.contains("content")) {
          const json& c = block["content"];
          if (c.is_string()) text = c.get<std::string>();
          else if (c.is_array())
            for (const auto& part : c)
              if (JStr(part, "type", "") == "text") text += JStr(part, "text", "");
        }
        out += std::string(JBool(block, "is_error", false) ? "✗ " : "← ") + Truncate(OneLine(text), 200) + "\n";
      }
    }
    return out;
  }
  if (type == "result") {
    bool is_error = JBool(j, "is_error", false);
    const json usage = JObj(j, "usage");
    char cost[32];
    std::snprintf(cost, sizeof cost, "$%.4f", JNum(j, "total_cost_usd", 0.0));
    out = std::string(is_error ? "✗ failed: " : "✓ done: ") + OneLine(JStr(j, "result", "")) + "\n";
    if (j.contains("errors") && j["errors"].is_array())
      for (const auto& e : j["errors"])
        if (e.is_string()) out += "  error: " + e.get<std::string>() + "\n";
    out += "  turns " + std::to_string(IntField(j, "num_turns")) + " · tokens in " +
           std::to_string(IntField(usage, "input_tokens")) + " out " + std::to_string(IntField(usage, "output_tokens")) +
           " · cost " + cost + "\n";
    return out;
  }
  return "";
}


}  // namespace agentmux
