// OpenCode: its launch plan, its `run --format json` parser and its transcript builder.
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

std::unique_ptr<TranscriptBuilder> MakeOpencodeTranscriptBuilder();
using nlohmann::json;

namespace {

// OpenCode (REPORT.md §4): `opencode run --format json --auto`, the message on stdin (a quoted
// argv word reaches the model with literal quotes); resume `-s ses_…`. Usage per step.
class OpencodeAdapter : public CliAdapter {
 public:
  std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder() const override { return MakeOpencodeTranscriptBuilder(); }
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

  // Where OpenCode finds a provider: `opencode auth login`'s auth.json, a config (file or
  // variable), or a provider's key in the environment.
  struct Providers {
    bool login, config, key;
  };
  Providers Find() const {
    std::string data = Getenv("XDG_DATA_HOME").empty() ? HomeDir() + "/.local/share" : Getenv("XDG_DATA_HOME");
    std::string conf = Getenv("XDG_CONFIG_HOME").empty() ? HomeDir() + "/.config" : Getenv("XDG_CONFIG_HOME");
    Providers p{Exists(data + "/opencode/auth.json"),
                !Getenv("OPENCODE_CONFIG_CONTENT").empty() || !Getenv("OPENCODE_CONFIG").empty() ||
                    Exists(conf + "/opencode/opencode.json") || Exists(conf + "/opencode/opencode.jsonc"),
                false};
    for (const char* k : {"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY"})
      p.key |= !Getenv(k).empty();
    return p;
  }

  std::optional<std::string> MissingSetup() const override {
    auto [login, config, key] = Find();
    if (login || config || key) return std::nullopt;
    return "OpenCode is installed but has no model provider: run `opencode auth login`, set a provider's key "
           "(ANTHROPIC_API_KEY, OPENAI_API_KEY, …), or configure one in ~/.config/opencode/opencode.json "
           "(a project's own opencode.json works too; agentmux cannot see it from here)";
  }

  void CheckEnvironment(std::vector<std::string>& notes) const override {
    auto [login, config, key] = Find();
    if (login) notes.push_back("logged in through `opencode auth login`");
    if (config) notes.push_back("opencode config found (a project's opencode.json is read too)");
    if (key) notes.push_back("a provider API key found in the environment");
    if (!login && !config && !key)
      notes.push_back("no login, no provider key and no opencode config found: run `opencode auth login`, or "
                      "add a provider in the project's opencode.json");
  }
};

class OpencodeParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    AgentReport& r = report_;
    bool changed = false;
    if (auto id = JText(j, "sessionID"); id && r.agent_session_id != id) {
      r.agent_session_id = id;
      changed = true;
    }
    std::string type = JStr(j, "type", "");
    if (type == "step_start" && !in_turn_) {
      in_turn_ = true;
      Emit("turn_started");
    }
    if (type == "tool_use" && j.contains("part") && j["part"].is_object()) {
      const json& part = j["part"];
      json input = part.contains("state") && part["state"].is_object() && part["state"].contains("input")
                       ? part["state"]["input"] : json::object();
      Emit("tool_use", {{"tool", JStr(part, "tool", "tool")}, {"input", SummarizeToolInput(input)}});
    }
    if (type == "step_finish" && j.contains("part") && j["part"].is_object()) {
      const json& part = j["part"];
      if (auto it = part.find("tokens"); it != part.end() && it->is_object()) {
        Usage u = r.usage.value_or(Usage{});
        u.input_tokens = SatAdd(u.input_tokens, JInt(*it, "input"));
        u.output_tokens = SatAdd(u.output_tokens, SatAdd(JInt(*it, "output"), JInt(*it, "reasoning")));
        if (auto c = it->find("cache"); c != it->end() && c->is_object()) {
          u.cache_read_tokens = SatAdd(u.cache_read_tokens, JInt(*c, "read"));
          u.cache_creation_tokens = SatAdd(u.cache_creation_tokens, JInt(*c, "write"));
        }
        r.usage = u;
      }
      if (JAt(part, "cost").is_number()) r.cost_usd = r.cost_usd.value_or(0) + JNum(part, "cost");
      if (JStr(part, "reason", "") != "tool-calls") {
        r.num_turns = SatAdd(r.num_turns.value_or(0), 1);
        in_turn_ = false;
        Emit("turn_finished", {{"is_error", false}});
      }
      if (!r.is_error) r.is_error = false;
      return true;
    }
    if (type == "error") {
      r.is_error = true;
      std::string message = "OpenCode reported an error";
      if (j.contains("error") && j["error"].is_object()) {
        const json& e = j["error"];
        if (e.contains("data") && e["data"].is_object() && e["data"].contains("message")) message = JStr(e["data"], "message", message);
        else message = JStr(e, "name", message);
      }
      r.error = message;
      Emit("error", {{"message", message}});
      if (in_turn_) Emit("turn_finished", {{"is_error", true}});
      in_turn_ = false;
      return true;
    }
    return changed;
  }

 private:
  bool in_turn_ = false;
};

// The transcript of `run --format json` (transcript.h): OpenCode has no init event, every event
// carries the conversation id (the first one makes the init item); text, reasoning, tool_use (with
// its state: result or error), step_finish (usage summed over the run's steps; a step that ends in
// tool calls goes on, any other reason ends the run), error.
class OpencodeTranscriptBuilder : public TranscriptBuilder {
 protected:
  bool OnEvent(const json& ev) override {
    std::optional<std::string> conversation = JText(ev, "sessionID");
    if (conversation && !conversation->empty() && !seen_conversation_) {
      seen_conversation_ = true;
      Emit(TranscriptItem::Init("OpenCode", conversation));
    }
    const json& part = JObj(ev, "part");
    std::string type = JStr(ev, "type");
    if (type == "step_start") return true;
    if (type == "text" || type == "reasoning") {
      std::string text = JStr(part, "text");
      if (!text.empty()) Emit(type == "text" ? TranscriptItem::Text("assistant", text) : TranscriptItem::Thinking(text));
      return true;
    }
    if (type == "tool_use") {
      std::string id = JText(part, "callID").value_or(JStr(part, "id"));
      const json& state = JObj(part, "state");
      ToolUse(id, JStr(part, "tool", "tool"), JAt(state, "input"));
      std::string status = JStr(state, "status");
      if (status == "completed") ToolResult(id, ContentText(JAt(state, "output")), false);
      else if (status == "error") ToolResult(id, ContentText(JAt(state, "error")), true);
      return true;
    }
    if (type == "step_finish") {
      ++turns_;
      const json& t = JObj(part, "tokens");
      const json& cache = JObj(t, "cache");
      usage_.input_tokens = Sum(usage_.input_tokens, OptInt(t, "input"));
      usage_.output_tokens = Sum(usage_.output_tokens, Sum(OptInt(t, "output"), OptInt(t, "reasoning")));
      usage_.cache_read_tokens = Sum(usage_.cache_read_tokens, OptInt(cache, "read"));
      usage_.cache_creation_tokens = Sum(usage_.cache_creation_tokens, OptInt(cache, "write"));
      if (auto cost = OptNum(part, "cost")) cost_ = cost_.value_or(0) + *cost;
      if (JStr(part, "reason") == "tool-calls") return true;
      TranscriptItem r = TranscriptItem::Result(JStr(part, "reason", "stop"), false);
      r.num_turns = turns_;
      r.cost_usd = cost_;
      r.usage = usage_;
      r.conversation_id = conversation;
      r.note = "summed over the run’s steps";
      Emit(std::move(r));
      return true;
    }
    if (type == "error") {
      const json& e = JObj(ev, "error");
      const json& data = JObj(e, "data");
      std::string text = JText(data, "message").value_or(JText(e, "message").value_or(JStr(e, "name", "error")));
      if (auto status = OptInt(data, "statusCode")) text += " (HTTP " + std::to_string(*status) + ")";
      Emit(TranscriptItem::Error(text));
      return true;
    }
    return false;
  }

 private:
  bool seen_conversation_ = false;
  int64_t turns_ = 0;
  ItemUsage usage_;
  std::optional<double> cost_;
};

}  // namespace

std::unique_ptr<Adapter> MakeOpencodeAdapter() { return std::make_unique<OpencodeAdapter>(); }
std::unique_ptr<OutputParser> MakeOpencodeParser() { return std::make_unique<OpencodeParser>(); }
std::unique_ptr<TranscriptBuilder> MakeOpencodeTranscriptBuilder() {
  return std::make_unique<OpencodeTranscriptBuilder>();
}

}  // namespace agentmux
