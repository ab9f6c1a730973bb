// Gemini CLI: its launch plan, its `-o stream-json` parser and its transcript builder.
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

std::unique_ptr<TranscriptBuilder> MakeGeminiTranscriptBuilder();
using nlohmann::json;

namespace {

// Gemini CLI (REPORT.md §5): `gemini -p "" -o stream-json -y --skip-trust`, the context on stdin
// (-p is appended to stdin); `--session-id` pre-assigns the id, resume `--resume <id>`.
class GeminiAdapter : public CliAdapter {
 public:
  // Gemini CLI 0.61's TUI (tests/fixtures/tui/gemini-idle.bin): while it works the spinner row says
  // "(esc to cancel, Ns)"; idle, its input box row starts with ">" ("Type your message …").
  bool ReadsScreen() const override { return true; }
  std::optional<AttentionReason> ScreenAttention(const std::vector<std::string>& rows, std::string&) const override {
    if (AnyRowStartsWith(rows, ">") && !AnyRowHas(rows, "esc to cancel")) return AttentionReason::kInput;
    return std::nullopt;
  }
  std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder() const override { return MakeGeminiTranscriptBuilder(); }
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

class GeminiParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = JStr(j, "type", "");
    AgentReport& r = report_;
    if (type == "init") {
      r.agent_session_id = JText(j, "session_id");
      if (auto m = JText(j, "model")) r.model = m;
      Emit("turn_started");
      return true;
    }
    if (type == "tool_use") {
      Emit("tool_use", {{"tool", JStr(j, "tool_name", "tool")},
                        {"input", SummarizeToolInput(j.contains("parameters") ? j["parameters"] : json::object())}});
      return false;
    }
    if (type == "result") {
      if (auto it = j.find("stats"); it != j.end() && it->is_object()) {
        Usage u;
        u.input_tokens = JInt(*it, "input_tokens");
        u.output_tokens = JInt(*it, "output_tokens");
        u.cache_read_tokens = JInt(*it, "cached");
        r.usage = u;
      }
      r.num_turns = SatAdd(r.num_turns.value_or(0), 1);
      bool failed = JStr(j, "status", "success") != "success";
      r.is_error = failed;
      if (failed) {
        r.error = j.contains("error") && j["error"].is_object() ? JStr(j["error"], "message", "Gemini CLI reported an error")
                                                              : "Gemini CLI reported an error";
        Emit("error", {{"message", *r.error}});
      }
      Emit("turn_finished", {{"is_error", failed}});
      return true;
    }
    return false;
  }
};

// The transcript of `-o stream-json` (transcript.h): init; message (user and assistant; streamed
// deltas join into one item); tool_use and tool_result; error (a warning or an error); result with
// the run's stats.
class GeminiTranscriptBuilder : public TranscriptBuilder {
 protected:
  bool OnEvent(const json& ev) override {
    std::string type = JStr(ev, "type");
    if (type == "init") {
      TranscriptItem init = TranscriptItem::Init("Gemini CLI", JText(ev, "session_id"));
      init.model = JText(ev, "model");
      Emit(std::move(init));
    } else if (type == "message") {
      std::string role = JStr(ev, "role") == "user" ? "user" : "assistant";
      std::string text = ContentText(JAt(ev, "content"));
      if (JBool(ev, "delta")) Delta("gemini:" + role, role, text);
      else if (text.find_first_not_of(" \t\r\n") != std::string::npos) Emit(TranscriptItem::Text(role, text));
    } else if (type == "tool_use") {
      ToolUse(JStr(ev, "tool_id"), JStr(ev, "tool_name", "tool"), JAt(ev, "parameters"));
    } else if (type == "tool_result") {
      const json& status = JAt(ev, "status");
      std::string content;
      if (!JAt(ev, "output").is_null()) content = ContentText(JAt(ev, "output"));
      else if (auto error = JText(JObj(ev, "error"), "message")) content = *error;
      else content = status.is_string() ? status.get<std::string>() : status.is_null() ? "" : status.dump();
      ToolResult(JStr(ev, "tool_id"), content, JStr(ev, "status") != "success");
    } else if (type == "error") {
      std::string text = JStr(ev, "message", "error");
      Emit(JStr(ev, "severity") == "warning" ? TranscriptItem::System("Warning", text) : TranscriptItem::Error(text));
    } else if (type == "result") {
      const json& stats = JObj(ev, "stats");
      TranscriptItem r = TranscriptItem::Result(JStr(ev, "status", "result"), JStr(ev, "status") != "success");
      r.duration_ms = OptInt(stats, "duration_ms");
      r.usage = ItemUsage{OptInt(stats, "input_tokens"), OptInt(stats, "output_tokens"), OptInt(stats, "cached"), std::nullopt};
      r.result_text = JText(JObj(ev, "error"), "message");
      Emit(std::move(r));
    } else {
      return false;
    }
    return true;
  }
};

}  // namespace

std::unique_ptr<Adapter> MakeGeminiAdapter() { return std::make_unique<GeminiAdapter>(); }
std::unique_ptr<OutputParser> MakeGeminiParser() { return std::make_unique<GeminiParser>(); }
std::unique_ptr<TranscriptBuilder> MakeGeminiTranscriptBuilder() { return std::make_unique<GeminiTranscriptBuilder>(); }

}  // namespace agentmux
