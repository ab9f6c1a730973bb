// GitHub Copilot CLI: its launch plan, its `--output-format json` parser (usage from its state dir) and its transcript builder.
#include <algorithm>
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

std::unique_ptr<TranscriptBuilder> MakeCopilotTranscriptBuilder();
using nlohmann::json;

namespace {

// GitHub Copilot CLI (REPORT.md §6): `copilot --output-format json --allow-all-tools`, the prompt
// on stdin; `--session-id` pre-assigns the id, resume `--resume <id>`. Token counts are only in its
// state dir ($COPILOT_HOME or ~/.copilot/session-state/<id>/events.jsonl), read at the end.
class CopilotAdapter : public CliAdapter {
 public:
  std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder() const override { return MakeCopilotTranscriptBuilder(); }
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

  // How the CLI finds credentials: a token variable, its own model provider, or the users its
  // `/login` recorded in $COPILOT_HOME/config.json.
  struct Auth {
    bool token, byok, login;
  };
  Auth Credentials() const {
    std::string home = Getenv("COPILOT_HOME").empty() ? HomeDir() + "/.copilot" : Getenv("COPILOT_HOME");
    Auth a{!Getenv("COPILOT_GITHUB_TOKEN").empty() || !Getenv("GH_TOKEN").empty() || !Getenv("GITHUB_TOKEN").empty(),
           !Getenv("COPILOT_PROVIDER_BASE_URL").empty(), false};
    if (Exists(home + "/config.json")) {
      std::ifstream in(home + "/config.json");
      auto j = nlohmann::json::parse(in, nullptr, false, /*ignore_comments=*/true);
      a.login = j.is_object() && ((j.contains("logged_in_users") && !j["logged_in_users"].empty()) ||
                                  (j.contains("last_logged_in_user") && !j["last_logged_in_user"].is_null()));
    }
    return a;
  }

  std::optional<std::string> MissingSetup() const override {
    Auth a = Credentials();
    if (a.token || a.byok || a.login) return std::nullopt;
    return "Copilot CLI is installed but not logged in: run `copilot` and /login, or set GH_TOKEN (or "
           "COPILOT_PROVIDER_BASE_URL for a model provider of your own) in the daemon's environment";
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    auto [token, byok, login] = Credentials();
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

// The transcript of `--output-format json` (transcript.h): the user's message; the reply's deltas
// joined, then the whole message in their place; reasoning; tool calls and their results; errors,
// warnings and notices; result (exit code, turns, code changes). Progress that lasting events
// repeat (marked ephemeral, or known to be) is not shown; other unknown events are, as raw lines.
class CopilotTranscriptBuilder : public TranscriptBuilder {
 protected:
  bool OnEvent(const json& ev) override {
    static const std::set<std::string> kQuiet = {"assistant.turn_end",    "assistant.idle",
                                                 "assistant.turn_retry",  "assistant.message_start",
                                                 "session.skills_loaded", "session.mcp_servers_loaded",
                                                 "session.tools_updated"};
    std::string type = JStr(ev, "type");
    const json& data = JObj(ev, "data");
    if (type == "user.message") {
      if (!JStr(data, "content").empty()) Emit(TranscriptItem::Text("user", JStr(data, "content")));
    } else if (type == "assistant.turn_start") {
      ++turns_;
    } else if (type == "assistant.message_delta") {
      std::string id = JStr(data, "messageId");
      std::string text = JStr(data, "deltaContent");
      if (!text.empty()) message_index_[id] = Delta("copilot:" + id, "assistant", text);
    } else if (type == "assistant.message") {
      Message(data);
    } else if (type == "assistant.reasoning") {
      if (!JStr(data, "content").empty()) Emit(TranscriptItem::Thinking(JStr(data, "content")));
    } else if (type == "tool.execution_start") {
      ToolUse(JStr(data, "toolCallId"), JStr(data, "toolName", "tool"), JAt(data, "arguments"));
    } else if (type == "tool.execution_complete") {
      const json& error = JAt(data, "error");
      std::optional<std::string> err = error.is_object() ? JText(error, "message") : JText(data, "error");
      const json& content = JAt(JObj(data, "result"), "content");
      ToolResult(JStr(data, "toolCallId"), !content.is_null() ? ContentText(content) : err.value_or(""),
                 JAt(data, "success").is_boolean() && !JBool(data, "success"));
    } else if (type == "session.error") {
      Emit(TranscriptItem::Error(JText(data, "message").value_or(JStr(data, "errorType", "error"))));
    } else if (type == "session.warning") {
      Emit(TranscriptItem::System("Warning", JStr(data, "message")));
    } else if (type == "session.info") {
      std::string info = JStr(data, "infoType", "info");
      if (info == "model_retry") info = "Retry";
      else std::replace(info.begin(), info.end(), '_', ' ');
      Emit(TranscriptItem::System(info, JStr(data, "message")));
    } else if (type == "result") {
      Result(ev);
    } else {
      return JBool(ev, "ephemeral") || kQuiet.count(type) > 0;
    }
    return true;
  }

 private:
  void Message(const json& data) {
    std::string id = JStr(data, "messageId");
    std::string text = JStr(data, "content");
    auto at = message_index_.find(id);
    const TranscriptItem* prev = at == message_index_.end() ? nullptr : At(at->second);
    // The whole message replaces its deltas.
    if (prev && prev->kind == ItemKind::kText) {
      if (!text.empty() && text != prev->text) Replace(at->second, TranscriptItem::Text("assistant", text));
    } else if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
      Emit(TranscriptItem::Text("assistant", text));
    }
    EndText();
    for (const auto& r : JArr(data, "toolRequests"))
      if (r.is_object()) ToolUse(JStr(r, "toolCallId"), JStr(r, "name", "tool"), JAt(r, "arguments"));
  }

  void Result(const json& ev) {
    const json& u = JObj(ev, "usage");
    std::optional<int64_t> code = OptInt(ev, "exitCode");
    const json& changes = JObj(u, "codeChanges");
    std::string notes;
    if (size_t files = JArr(changes, "filesModified").size())
      notes = std::to_string(files) + " file" + (files == 1 ? "" : "s") + " changed (+" +
              std::to_string(JInt(changes, "linesAdded")) + " −" + std::to_string(JInt(changes, "linesRemoved")) + ")";
    if (const json& premium = JAt(u, "premiumRequests"); premium.is_number())
      notes += (notes.empty() ? "" : " · ") + NumberText(premium) + " premium requests";
    notes += (notes.empty() ? "" : " · ") + std::string("no token counts on stdout");
    bool failed = code && *code != 0;
    TranscriptItem r = TranscriptItem::Result(code == 0 ? "success" : "error", failed);
    if (turns_) r.num_turns = turns_;
    r.duration_ms = OptInt(u, "sessionDurationMs");
    if (failed) r.result_text = "exit code " + std::to_string(*code);
    r.conversation_id = JText(ev, "sessionId");
    r.note = notes;
    Emit(std::move(r));
  }

  int64_t turns_ = 0;
  std::map<std::string, size_t> message_index_;  // message id → its text item (deltas first)
};

}  // namespace

std::unique_ptr<Adapter> MakeCopilotAdapter() { return std::make_unique<CopilotAdapter>(); }
std::unique_ptr<OutputParser> MakeCopilotParser(std::string copilot_home) {
  return std::make_unique<CopilotParser>(std::move(copilot_home));
}
std::unique_ptr<TranscriptBuilder> MakeCopilotTranscriptBuilder() { return std::make_unique<CopilotTranscriptBuilder>(); }

}  // namespace agentmux
