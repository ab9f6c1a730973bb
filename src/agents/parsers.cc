#include "agents/parsers.h"

namespace agentmux {
using nlohmann::json;

namespace {

int64_t Int(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::optional<std::string> Text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

class CodexParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = j.value("type", "");
    AgentReport& r = report_;
    if (type == "thread.started") {
      r.agent_session_id = Text(j, "thread_id");
      return true;
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
      return true;
    }
    if (type == "turn.failed") {
      r.is_error = true;
      r.error = j.contains("error") && j["error"].is_object() ? j["error"].value("message", "turn failed") : "turn failed";
      return true;
    }
    if (type == "error") {
      // Also retry notices ("Reconnecting..."): remembered as the last word, not a failure yet.
      if (!r.is_error.value_or(false)) r.error = j.value("message", "error");
      return true;
    }
    return false;
  }
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
    std::string type = j.value("type", "");
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
      if (auto c = part.find("cost"); c != part.end() && c->is_number()) r.cost_usd = r.cost_usd.value_or(0) + c->get<double>();
      if (part.value("reason", "") != "tool-calls") r.num_turns = r.num_turns.value_or(0) + 1;
      if (!r.is_error) r.is_error = false;
      return true;
    }
    if (type == "error") {
      r.is_error = true;
      std::string message = "OpenCode reported an error";
      if (j.contains("error") && j["error"].is_object()) {
        const json& e = j["error"];
        if (e.contains("data") && e["data"].is_object() && e["data"].contains("message")) message = e["data"].value("message", message);
        else message = e.value("name", message);
      }
      r.error = message;
      return true;
    }
    return changed;
  }
};

class GeminiParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = j.value("type", "");
    AgentReport& r = report_;
    if (type == "init") {
      r.agent_session_id = Text(j, "session_id");
      if (auto m = Text(j, "model")) r.model = m;
      return true;
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
      bool failed = j.value("status", "success") != "success";
      r.is_error = failed;
      if (failed)
        r.error = j.contains("error") && j["error"].is_object() ? j["error"].value("message", "Gemini CLI reported an error")
                                                              : "Gemini CLI reported an error";
      return true;
    }
    return false;
  }
};

class CopilotParser : public JsonLinesParser {
 protected:
  bool OnJson(const json& j) override {
    std::string type = j.value("type", "");
    AgentReport& r = report_;
    if (type == "session.error") {
      r.error = j.contains("data") && j["data"].is_object() ? j["data"].value("message", "Copilot reported an error")
                                                           : "Copilot reported an error";
      return true;
    }
    if (type == "assistant.turn_end") {
      r.num_turns = r.num_turns.value_or(0) + 1;
      return false;
    }
    if (type == "result") {
      r.agent_session_id = Text(j, "sessionId");
      bool failed = Int(j, "exitCode") != 0;
      r.is_error = failed;
      if (failed && !r.error) r.error = "Copilot exited with code " + std::to_string(Int(j, "exitCode"));
      return true;
    }
    return false;
  }
};

}  // namespace

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
  return OnJson(j);
}

std::unique_ptr<OutputParser> MakeCodexParser() { return std::make_unique<CodexParser>(); }
std::unique_ptr<OutputParser> MakeOpencodeParser() { return std::make_unique<OpencodeParser>(); }
std::unique_ptr<OutputParser> MakeGeminiParser() { return std::make_unique<GeminiParser>(); }
std::unique_ptr<OutputParser> MakeCopilotParser() { return std::make_unique<CopilotParser>(); }

}  // namespace agentmux
