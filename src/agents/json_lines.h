// What the JSON-lines formats of the agent CLIs share: a parser base that splits stdout into lines
// and hands each JSON object to the CLI's OnJson() (with a containment guard: a line a parser
// cannot read costs that line, reported as a parse_error event), and a renderer base that passes
// non-JSON lines through and joins streamed text deltas.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "agents/transcript.h"

namespace agentmux {

// Splits bytes into lines and hands each JSON object line to OnJson(). Non-JSON lines (warnings,
// banners) are skipped. A line longer than 64 MiB is dropped.
class JsonLinesParser : public OutputParser {
 public:
  bool Feed(std::string_view bytes) override;
  bool Finish() override;

 protected:
  // Returns true when the report changed.
  virtual bool OnJson(const nlohmann::json& line) = 0;

 private:
  bool ParseLine(std::string_view line);
  std::string partial_;
};

// Shared by the JSON-lines renderers: non-JSON lines pass through, text deltas are joined, and a
// line the renderer cannot read is shown as printed.
class JsonRenderer : public TranscriptRenderer {
 public:
  std::string Line(std::string_view line) override;
  std::string Finish() override { return EndText(); }

 protected:
  virtual std::string Render(const nlohmann::json& j) = 0;
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
  static std::string Call(const std::string& tool, const nlohmann::json& input) {
    return "→ " + tool + "(" + SummarizeToolInput(input) + ")\n";
  }

 private:
  bool mid_text_ = false;  // the last output was text without its newline
  bool delta_ = false;     // the line being rendered is a text delta
};

// Rendering helpers: `s` on one line, cut at `max` bytes (on a UTF-8 boundary) with "…".
std::string Clip(std::string s, size_t max);
// "tokens in N out M".
std::string Tokens(int64_t in, int64_t out);

}  // namespace agentmux
