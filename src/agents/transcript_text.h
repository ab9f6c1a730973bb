// Transcript items (transcript.h, wire shape) as text for people — what `agentmux run`, `continue`
// and `agentmux logs` print for a session with a transcript, the same for every agent CLI:
//   ● Claude Code 2.1.197 · model M · conversation ID      init
//   assistant text as it is (streamed deltas as they come)  text (the user's own words are not repeated)
//   → Write(/p/hello.txt)                                   tool_use: the tool and its input's summary
//   ← File created successfully…  /  ✗ …                    tool_result (one line, ≤ 200 bytes)
//   ✓ done · turns 2 · tokens in 3460 out 99 · cost $0.0198 (note)   result; "✗ failed: why" on error
//   · API retry: attempt 1 of 10 · HTTP 500                 system
//   ✗ the agent's error                                     error
//   lines no format explains, as printed (stderr's to stderr)  raw
// Thinking is not shown.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentmux {

// Text to print: `out` for stdout, `err` for stderr.
struct PrintedText {
  std::string out, err;
};

// Prints a transcript as its updates arrive (GET …/transcript's items are updates at 0, 1, …).
// A text item that grows prints only what was added; any other replacement prints nothing new.
// Not thread-safe.
class TranscriptPrinter {
 public:
  // One update: item `index` (wire shape) is now `item`.
  PrintedText Apply(size_t index, const nlohmann::json& item);
  // {"index","item"} as the WebSocket `transcript` message carries it; malformed ones are skipped.
  PrintedText Apply(const nlohmann::json& update);
  // The end: closes a text line left open.
  std::string Finish() { return Close(); }

 private:
  std::string Close();
  std::string Line(const nlohmann::json& item) const;

  std::vector<std::string> shown_;  // per item: the text printed of an assistant text item, else ""
  std::optional<size_t> open_;      // the text item whose line is not closed yet
  std::string last_text_;           // the latest assistant text (a result does not repeat it)
};

// `s` on one line, cut at `max` bytes (on a UTF-8 boundary) with "…".
std::string Clip(std::string s, size_t max);

}  // namespace agentmux
