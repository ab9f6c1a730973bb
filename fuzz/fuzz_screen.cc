// Fuzz target: a guided agent's PTY output (untrusted) through the screen model and the attention
// detector (src/agents/screen.h, Adapter::ScreenAttention) — what the engine does with every byte
// a TUI prints.
//
// Input: byte 0 picks the screen size (cols = 20 + b % 200, rows = 5 + b / 4 % 60); byte 1 the
// size the screen is resized to halfway; the rest is fed in pieces cut at every 0xFF byte (so
// the fuzzer controls where writes split, mid-escape and mid-UTF-8 alike).
// Aborts when the contract breaks: Rows() not exactly `rows` rows, a row wider than 4 bytes a
// cell, invalid UTF-8 in a row or the message, a permission answer without its question in
// `message`; a crash, a hang (libFuzzer's timeout) or a sanitizer report.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "agents/screen.h"
#include "fuzz_util.h"

namespace {

// What the store does with a row that becomes a message: JSON (which throws on invalid UTF-8).
bool ValidUtf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

void Check(const agentmux::TerminalScreen& screen, int cols, int rows, const agentmux::Adapter& claude) {
  auto lines = screen.Rows();
  if (static_cast<int>(lines.size()) != rows) agentmux_fuzz::Fail("Rows() returned the wrong number of rows");
  for (const auto& l : lines) {
    if (l.size() > static_cast<size_t>(cols) * 6 * 4) agentmux_fuzz::Fail("a row is wider than its cells");
    if (!ValidUtf8(l)) agentmux_fuzz::Fail("a row is not valid UTF-8");
  }
  std::string message;
  auto reason = claude.ScreenAttention(lines, message);
  if (!ValidUtf8(message)) agentmux_fuzz::Fail("the attention message is not valid UTF-8");
  if (reason == agentmux::AttentionReason::kPermission && message.find("Do you want to") == std::string::npos)
    agentmux_fuzz::Fail("a permission answer without its question");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static agentmux::AdapterRegistry registry;
  if (size < 2) return 0;
  int cols = 20 + data[0] % 200, rows = 5 + data[0] / 4 % 60;
  int cols2 = 20 + data[1] % 200, rows2 = 5 + data[1] / 4 % 60;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  agentmux::TerminalScreen screen(cols, rows);
  const agentmux::Adapter& claude = *registry.Find("claude");
  size_t half = rest.size() / 2;
  size_t start = 0;
  bool resized = false;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || static_cast<unsigned char>(rest[i]) == 0xFF) {
      screen.Feed(std::string(rest.substr(start, i - start)));
      start = i + 1;
      if (!resized && i >= half) {
        Check(screen, cols, rows, claude);
        screen.Resize(cols2, rows2);
        cols = cols2, rows = rows2;
        resized = true;
      }
    }
  }
  Check(screen, cols, rows, claude);
  return 0;
}
