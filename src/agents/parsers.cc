#include "agents/parsers.h"

#include "base/json_access.h"

#include <fstream>
#include <set>

namespace agentmux {
using nlohmann::json;

namespace {

int64_t Int(const json& j, const char* key) { return JInt(j, key); }

std::optional<std::string> Text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

class CodexParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = JStr(j, "type", "");
    AgentReport& r = report_;
    if (type == "thread.started") {
      r.agent_session_id = Text(j, "thread_id");
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
        u.input_tokens = Int(*it, "input_tokens");
        u.cache_read_tokens = Int(*it, "cached_input_tokens");
        u.cache_creation_tokens = Int(*it, "cache_write_input_tokens");
        u.output_tokens = Int(*it, "output_tokens") + Int(*it, "reasoning_output_tokens");
        r.usage = u;
      }
      r.num_turns = r.num_turns.value_or(0) + 1;
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

class OpencodeParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    AgentReport& r = report_;
    bool changed = false;
    if (auto id = Text(j, "sessionID"); id && r.agent_session_id != id) {
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
        u.input_tokens += Int(*it, "input");
        u.output_tokens += Int(*it, "output") + Int(*it, "reasoning");
        if (auto c = it->find("cache"); c != it->end() && c->is_object()) {
          u.cache_read_tokens += Int(*c, "read");
          u.cache_creation_tokens += Int(*c, "write");
        }
        r.usage = u;
      }
      if (JAt(part, "cost").is_number()) r.cost_usd = r.cost_usd.value_or(0) + JNum(part, "cost");
      if (JStr(part, "reason", "") != "tool-calls") {
        r.num_turns = r.num_turns.value_or(0) + 1;
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

class GeminiParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = JStr(j, "type", "");
    AgentReport& r = report_;
    if (type == "init") {
      r.agent_session_id = Text(j, "session_id");
      if (auto m = Text(j, "model")) r.model = m;
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
        u.input_tokens = Int(*it, "input_tokens");
        u.output_tokens = Int(*it, "output_tokens");
        u.cache_read_tokens = Int(*it, "cached");
        r.usage = u;
      }
      r.num_turns = r.num_turns.value_or(0) + 1;
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
      u.input_tokens += Int(*usage, "inputTokens");
      u.output_tokens += Int(*usage, "outputTokens") + Int(*usage, "reasoningTokens");
      u.cache_read_tokens += Int(*usage, "cacheReadTokens");
      u.cache_creation_tokens += Int(*usage, "cacheWriteTokens");
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
      r.num_turns = r.num_turns.value_or(0) + 1;
      Emit("turn_finished", {{"is_error", false}});
      return false;
    }
    if (type == "result") {
      if (auto id = Text(j, "sessionId")) r.agent_session_id = id;
      bool failed = Int(j, "exitCode") != 0;
      r.is_error = failed;
      if (failed && !r.error) r.error = "Copilot exited with code " + std::to_string(Int(j, "exitCode"));
      return true;
    }
    return false;
  }

 private:
  std::string home_;
};

}  // namespace

std::string SummarizeToolInput(const json& input) {
  std::string text;
  if (input.is_string()) {
    text = input.get<std::string>();
  } else if (input.is_object()) {
    for (const char* key : {"command", "cmd", "file_path", "filePath", "path", "absolute_path", "pattern", "url", "query"}) {
      auto it = input.find(key);
      if (it == input.end()) continue;
      text = it->is_string() ? it->get<std::string>() : it->dump();
      break;
    }
    if (text.empty()) text = input.dump();
  } else if (!input.is_null()) {
    text = input.dump();
  }
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (text.size() > 300) {
    size_t cut = 297;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    text = text.substr(0, cut) + "...";
  }
  return text;
}

bool JsonLinesParser::Feed(std::string_view bytes) {
  bool changed = false;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    if (partial_.empty()) {
      changed |= ParseLine(bytes.substr(start, i - start));
    } else {
      partial_.append(bytes.substr(start, i - start));
      changed |= ParseLine(partial_);
      partial_.clear();
    }
    start = i + 1;
  }
  partial_.append(bytes.substr(start));
  if (partial_.size() > (64u << 20)) partial_.clear();
  return changed;
}

bool JsonLinesParser::Finish() {
  if (partial_.empty()) return false;
  std::string line = std::move(partial_);
  partial_.clear();
  return ParseLine(line);
}

bool JsonLinesParser::ParseLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.front() != '{') return false;
  json j = json::parse(line, nullptr, false);
  if (!j.is_object()) return false;
  // Agent output is untrusted: a parser bug on an odd line costs that line, never the session or
  // the daemon. The session's events say what could not be read.
  try {
    return OnJson(j);
  } catch (const std::exception& e) {
    Emit("parse_error", {{"message", std::string("could not read a line of the agent's output: ") + e.what()},
                         {"line", std::string(line.substr(0, 300))}});
    return false;
  }
}

std::unique_ptr<OutputParser> MakeCodexParser() { return std::make_unique<CodexParser>(); }
std::unique_ptr<OutputParser> MakeOpencodeParser() { return std::make_unique<OpencodeParser>(); }
std::unique_ptr<OutputParser> MakeGeminiParser() { return std::make_unique<GeminiParser>(); }
std::unique_ptr<OutputParser> MakeCopilotParser(std::string copilot_home) {
  return std::make_unique<CopilotParser>(std::move(copilot_home));
}

}  // namespace agentmux
