// GitHub Copilot CLI: its launch plan, its `--output-format json` parser (usage from its state dir) and its transcript.
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

std::unique_ptr<TranscriptRenderer> MakeCopilotRenderer();
using nlohmann::json;

namespace {

// GitHub Copilot CLI (REPORT.md §6): `copilot --output-format json --allow-all-tools`, the prompt
// on stdin; `--session-id` pre-assigns the id, resume `--resume <id>`. Token counts are only in its
// state dir ($COPILOT_HOME or ~/.copilot/session-state/<id>/events.jsonl), read at the end.
class CopilotAdapter : public CliAdapter {
 public:
  std::unique_ptr<TranscriptRenderer> NewRenderer() const override { return MakeCopilotRenderer(); }
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

class CopilotParser : public JsonLinesParser {
 public:
  explicit CopilotParser(std::string home) : home_(std::move(home)) {}

  bool Finish() override {
    bool changed = JsonLinesParser::Finish();
    if (home_.empty() || !report_.agent_session_id) return changed;
    const std::string& id = *report_.agent_session_id;
    if (id.find('/') != std::string::npos || id.find("..") != std::string::npos) return changed;
    std::ifstream in(home_ + "/session-state/" + id + "/events.jsonl");
    if (!in) return changed;
    Usage u;
    double cost = 0;
    bool any = false;
    for (std::string line; std::getline(in, line);) {
      if (line.find("session.usage_record") == std::string::npos) continue;
      json j = json::parse(line, nullptr, false);
      if (!j.is_object() || JStr(j, "type", "") != "session.usage_record") continue;
      const json* usage = j.contains("data") && j["data"].is_object() && j["data"].contains("usage") ? &j["data"]["usage"] : nullptr;
      if (!usage || !usage->is_object()) continue;
      u.input_tokens = SatAdd(u.input_tokens, JInt(*usage, "inputTokens"));
      u.output_tokens = SatAdd(u.output_tokens, SatAdd(JInt(*usage, "outputTokens"), JInt(*usage, "reasoningTokens")));
      u.cache_read_tokens = SatAdd(u.cache_read_tokens, JInt(*usage, "cacheReadTokens"));
      u.cache_creation_tokens = SatAdd(u.cache_creation_tokens, JInt(*usage, "cacheWriteTokens"));
      cost += JNum(*usage, "cost");
      any = true;
    }
    if (!any) return changed;
    report_.usage = u;
    report_.usage_cumulative = true;
    report_.cost_usd = cost;
    report_.cost_cumulative = true;
    return true;
  }

 protected:
  bool OnJson(const json& j) override {
    std::string type = JStr(j, "type", "");
    AgentReport& r = report_;
    const json& data = j.contains("data") && j["data"].is_object() ? j["data"] : json::object();
    if (type == "session.error") {
      r.error = JStr(data, "message", "Copilot reported an error");
      Emit("error", {{"message", *r.error}});
      return true;
    }
    if (type == "assistant.turn_start") {
      Emit("turn_started");
      return false;
    }
    if (type == "tool.execution_start") {
      Emit("tool_use", {{"tool", JStr(data, "toolName", "tool")},
                        {"input", SummarizeToolInput(data.contains("arguments") ? data["arguments"] : json::object())}});
      return false;
    }
    if (type == "assistant.turn_end") {
      r.num_turns = SatAdd(r.num_turns.value_or(0), 1);
      Emit("turn_finished", {{"is_error", false}});
      return false;
    }
    if (type == "result") {
      if (auto id = JText(j, "sessionId")) r.agent_session_id = id;
      bool failed = JInt(j, "exitCode") != 0;
      r.is_error = failed;
      if (failed && !r.error) r.error = "Copilot exited with code " + std::to_string(JInt(j, "exitCode"));
      return true;
    }
    return false;
  }

 private:
  std::string home_;
};

class CopilotRenderer : public JsonRenderer {
  std::string Render(const json& j) override {
    std::string type = JStr(j, "type", "");
    const json& data = JObj(j, "data");
    if (type == "assistant.message") {
      std::string text = JStr(data, "content", "");
      return text.empty() ? "" : text + "\n";
    }
    if (type == "tool.execution_start")
      return Call(JStr(data, "toolName", "tool"), data.contains("arguments") ? data["arguments"] : json::object());
    if (type == "tool.execution_complete") {
      const json& result = JObj(data, "result");
      std::string text = JStr(result, "content", "");
      return std::string(JBool(data, "success", true) ? "← " : "✗ ") + Clip(text, 200) + "\n";
    }
    if (type == "session.error") return "✗ " + Clip(JStr(data, "message", "error"), 500) + "\n";
    if (type == "result") {
      int64_t code = JInt(j, "exitCode");
      return (code == 0 ? "✓ done" : "✗ exit " + std::to_string(code)) + " · conversation " + JStr(j, "sessionId", "?") + "\n";
    }
    return "";
  }
};

}  // namespace

std::unique_ptr<Adapter> MakeCopilotAdapter() { return std::make_unique<CopilotAdapter>(); }
std::unique_ptr<OutputParser> MakeCopilotParser(std::string copilot_home) {
  return std::make_unique<CopilotParser>(std::move(copilot_home));
}
std::unique_ptr<TranscriptRenderer> MakeCopilotRenderer() { return std::make_unique<CopilotRenderer>(); }

}  // namespace agentmux
