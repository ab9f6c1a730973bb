#include "agents/transcript.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/json_access.h"

#include "agents/adapter.h"
#include "agents/claude_stream.h"

namespace agentmux {
using nlohmann::json;

namespace {

std::string Clip(std::string s, size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "…";
  }
  return s;
}

int64_t Int(const json& j, const char* key) { return JInt(j, key); }

const json& Obj(const json& j, const char* key) {
  static const json empty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

std::string Tokens(int64_t in, int64_t out) {
  return "tokens in " + std::to_string(in) + " out " + std::to_string(out);
}

// Shared by the JSON-lines formats: non-JSON lines pass through, text deltas are joined.
class JsonRenderer : public TranscriptRenderer {
 public:
  std::string Line(std::string_view line) override {
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return "";
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) return EndText() + std::string(line) + "\n";
    delta_ = false;
    std::string out;
    try {
      out = Render(j);
    } catch (const std::exception&) {
      return EndText() + std::string(line) + "\n";  // shown as printed rather than not at all
    }
    if (out.empty()) return "";
    if (delta_) {  // continues the text line
      mid_text_ = out.back() != '\n';
      return out;
    }
    return EndText() + out;
  }
  std::string Finish() override { return EndText(); }

 protected:
  virtual std::string Render(const json& j) = 0;
  // Text that arrives in pieces (deltas): printed as it comes, the line closed before anything else.
  std::string Delta(const std::string& text) {
    delta_ = true;
    return text;
  }
  std::string EndText() {
    if (!mid_text_) return "";
    mid_text_ = false;
    return "\n";
  }
  static std::string Call(const std::string& tool, const json& input) {
    return "→ " + tool + "(" + SummarizeToolInput(input) + ")\n";
  }

 private:
  bool mid_text_ = false;  // the last output was text without its newline
  bool delta_ = false;     // the line being rendered is a text delta
};

class ClaudeRenderer : public TranscriptRenderer {
 public:
  std::string Line(std::string_view line) override { return RenderClaudeLine(line); }
};

class CodexRenderer : public JsonRenderer {
  std::string Render(const json& j) override {
    std::string type = JStr(j, "type", "");
    if (type == "thread.started") return "● Codex · conversation " + JStr(j, "thread_id", "?") + "\n";
    if (type == "error") return "↻ " + Clip(JStr(j, "message", "error"), 300) + "\n";
    if (type == "turn.failed") return "✗ failed: " + Clip(JStr(Obj(j, "error"), "message", "turn failed"), 500) + "\n";
    if (type == "turn.completed") {
      const json& u = Obj(j, "usage");
      return "✓ done · " + Tokens(Int(u, "input_tokens"), Int(u, "output_tokens")) + " (conversation so far)\n";
    }
    const json& item = Obj(j, "item");
    std::string kind = JStr(item, "type", "");
    if (type == "item.started" && kind == "command_execution") return Call("shell", JStr(item, "command", ""));
    if (type != "item.completed") return "";
    if (kind == "agent_message") return JStr(item, "text", "") + "\n";
    if (kind == "command_execution")
      return "← exit " + (item.contains("exit_code") && item["exit_code"].is_number() ? std::to_string(Int(item, "exit_code")) : "?") +
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

class OpencodeRenderer : public JsonRenderer {
  std::string Render(const json& j) override {
    std::string type = JStr(j, "type", "");
    const json& part = Obj(j, "part");
    if (type == "text") return JStr(part, "text", "") + "\n";
    if (type == "tool_use") {
      const json& state = Obj(part, "state");
      std::string out = Call(JStr(part, "tool", "tool"), state.contains("input") ? state["input"] : json::object());
      std::string status = JStr(state, "status", "");
      if (status == "error") return out + "✗ " + Clip(JStr(state, "error", "error"), 200) + "\n";
      return out + "← " + Clip(JStr(state, "output", status), 200) + "\n";
    }
    if (type == "step_finish" && JStr(part, "reason", "") != "tool-calls") {
      const json& t = Obj(part, "tokens");
      return "✓ done · " + Tokens(Int(t, "input"), Int(t, "output")) + " (last step)\n";
    }
    if (type == "error") {
      const json& e = Obj(j, "error");
      return "✗ failed: " + Clip(JStr(Obj(e, "data"), "message", JStr(e, "name", "error")), 500) + "\n";
    }
    return "";
  }
};

class GeminiRenderer : public JsonRenderer {
  std::string Render(const json& j) override {
    std::string type = JStr(j, "type", "");
    if (type == "init") return "● Gemini CLI · model " + JStr(j, "model", "?") + " · conversation " + JStr(j, "session_id", "?") + "\n";
    if (type == "message" && JStr(j, "role", "") == "assistant") {
      std::string text = JStr(j, "content", "");
      return JBool(j, "delta", false) ? Delta(text) : text + "\n";
    }
    if (type == "tool_use") return Call(JStr(j, "tool_name", "tool"), j.contains("parameters") ? j["parameters"] : json::object());
    if (type == "tool_result") {
      if (JStr(j, "status", "") == "success") return "← " + Clip(JStr(j, "output", "success"), 200) + "\n";
      return "✗ " + Clip(JStr(Obj(j, "error"), "message", JStr(j, "status", "error")), 200) + "\n";
    }
    if (type == "result") {
      if (JStr(j, "status", "") != "success")
        return "✗ failed: " + Clip(JStr(Obj(j, "error"), "message", "error"), 500) + "\n";
      const json& s = Obj(j, "stats");
      return "✓ done · " + Tokens(Int(s, "input_tokens"), Int(s, "output_tokens")) + "\n";
    }
    return "";
  }
};

class CopilotRenderer : public JsonRenderer {
  std::string Render(const json& j) override {
    std::string type = JStr(j, "type", "");
    const json& data = Obj(j, "data");
    if (type == "assistant.message") {
      std::string text = JStr(data, "content", "");
      return text.empty() ? "" : text + "\n";
    }
    if (type == "tool.execution_start")
      return Call(JStr(data, "toolName", "tool"), data.contains("arguments") ? data["arguments"] : json::object());
    if (type == "tool.execution_complete") {
      const json& result = Obj(data, "result");
      std::string text = JStr(result, "content", "");
      return std::string(JBool(data, "success", true) ? "← " : "✗ ") + Clip(text, 200) + "\n";
    }
    if (type == "session.error") return "✗ " + Clip(JStr(data, "message", "error"), 500) + "\n";
    if (type == "result") {
      int64_t code = Int(j, "exitCode");
      return (code == 0 ? "✓ done" : "✗ exit " + std::to_string(code)) + " · conversation " + JStr(j, "sessionId", "?") + "\n";
    }
    return "";
  }
};

}  // namespace

std::unique_ptr<TranscriptRenderer> MakeTranscriptRenderer(const std::string& tool) {
  if (tool == "claude") return std::make_unique<ClaudeRenderer>();
  if (tool == "codex") return std::make_unique<CodexRenderer>();
  if (tool == "opencode") return std::make_unique<OpencodeRenderer>();
  if (tool == "gemini") return std::make_unique<GeminiRenderer>();
  if (tool == "copilot") return std::make_unique<CopilotRenderer>();
  return nullptr;
}

}  // namespace agentmux
