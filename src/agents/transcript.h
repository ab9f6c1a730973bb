// Readable transcripts of structured agent output for people (`agentmux run` in the foreground,
// `agentmux logs`): assistant text as is, tool calls as "→ tool(input)", results as "← …",
// failures as "✗ …", the end of a turn as a "✓ done" summary with tokens. Formats: Claude Code
// stream-json, Codex `exec --json`, OpenCode `run --format json`, Gemini `-o stream-json`, Copilot
// `--output-format json` (shared/reference/agents/REPORT.md §2–6).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace agentmux {

// Renders one session's stdout line by line. Not thread-safe; one per stream.
class TranscriptRenderer {
 public:
  virtual ~TranscriptRenderer() = default;
  // One complete line of stdout (without its newline) → text to print ("" for nothing to show).
  // Lines that are not JSON come back unchanged, with a newline.
  virtual std::string Line(std::string_view line) = 0;
  // End of output: closes an unfinished text line.
  virtual std::string Finish() { return ""; }
};

// A renderer for autonomous sessions of `tool` (claude, codex, opencode, gemini, copilot), or
// nullptr for a tool whose output is a terminal stream.
std::unique_ptr<TranscriptRenderer> MakeTranscriptRenderer(const std::string& tool);

}  // namespace agentmux
