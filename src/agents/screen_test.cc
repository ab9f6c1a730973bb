// The attention detector on recorded screens of the genuine Claude Code, Codex and Gemini TUIs
// (tests/fixtures/tui, made by tests/fixtures/tui/record.py against the scripted model servers).
#include "agents/screen.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "agents/adapter.h"

namespace agentmux {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/tui/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

std::optional<AttentionReason> Detect(const std::string& bytes, std::string* message = nullptr,
                                      const std::string& tool = "claude") {
  AdapterRegistry registry;
  TerminalScreen screen(120, 40);
  screen.Feed(bytes);
  std::string m;
  auto r = registry.Find(tool)->ScreenAttention(screen.Rows(), m);
  if (message) *message = m;
  return r;
}

std::string Joined(const std::vector<std::string>& rows) {
  std::string out;
  for (const auto& r : rows) out += r + "\n";
  return out;
}

TEST(ScreenTest, ClaudeIdleAtItsPromptNeedsInput) {
  std::string idle = Fixture("claude-idle.bin");
  EXPECT_EQ(Detect(idle), AttentionReason::kInput);
}

TEST(ScreenTest, ClaudeWorkingNeedsNothing) {
  // The same recording cut while the answer was being written: the status row says
  // "esc to interrupt".
  std::string idle = Fixture("claude-idle.bin");
  auto at = idle.find("esc to interrupt");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(Detect(idle.substr(0, at + 40)), std::nullopt);
}

TEST(ScreenTest, ClaudeAskingPermissionSaysTheQuestion) {
  std::string message;
  EXPECT_EQ(Detect(Fixture("claude-permission.bin"), &message), AttentionReason::kPermission);
  EXPECT_EQ(message, "Do you want to proceed?");
}

// Codex and Gemini CLI, each idle after its answer, and the same recording cut while it worked.
TEST(ScreenTest, CodexAndGeminiIdleNeedInputAndWorkingDoNot) {
  for (const auto& [tool, working_text] : {std::pair<std::string, std::string>{"codex", "Working"}, {"gemini", "esc to cancel"}}) {
    std::string idle = Fixture(tool + "-idle.bin");
    EXPECT_EQ(Detect(idle, nullptr, tool), AttentionReason::kInput) << tool;
    auto at = idle.find(working_text);
    ASSERT_NE(at, std::string::npos) << tool;
    EXPECT_EQ(Detect(idle.substr(0, at + 200), nullptr, tool), std::nullopt) << tool;
  }
  // A shell has no rules: its screen never says anything.
  AdapterRegistry registry;
  EXPECT_FALSE(registry.Find("shell")->ReadsScreen());
}

TEST(ScreenTest, ChunkBoundariesDoNotChangeTheScreen) {
  std::string bytes = Fixture("claude-permission.bin");
  TerminalScreen whole(120, 40), pieces(120, 40);
  whole.Feed(bytes);
  std::mt19937 rng(7);
  for (size_t at = 0; at < bytes.size();) {
    size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 64);
    pieces.Feed(bytes.substr(at, n));
    at += n;
  }
  EXPECT_EQ(Joined(whole.Rows()), Joined(pieces.Rows()));
  EXPECT_NE(Joined(whole.Rows()).find("Bash command"), std::string::npos) << Joined(whole.Rows());
}

// libvterm 0.1.4 read past its argument array on a CSI with many sub-parameters (found by
// fuzz/fuzz_screen; reproducer in fuzz/regressions/fuzz_screen): such sequences are cut short.
TEST(ScreenTest, ACsiWithHundredsOfParametersIsHarmless) {
  TerminalScreen screen(80, 24);
  screen.Feed("\x1b[38;5;24" + std::string(400, ':') + "6mafter");
  screen.Feed("\x1b[" + std::string(300, ';'));  // split across writes
  screen.Feed(std::string(300, ';') + "mtext");
  EXPECT_NE(Joined(screen.Rows()).find("text"), std::string::npos) << Joined(screen.Rows());
  // REP with no character before it looped for ever in libvterm 0.1.4.
  TerminalScreen fresh(80, 24);
  fresh.Feed("\x1b[?1049h\x1b[b");
  fresh.Feed("\x1b[5;3Hok\x1b");  // an escape split across writes
  fresh.Feed("[1mbold");
  EXPECT_EQ(fresh.Rows()[4], "  okbold");
}

TEST(ScreenTest, GarbageAndResizeAreHarmless) {
  TerminalScreen screen(80, 24);
  std::string junk;
  std::mt19937 rng(1);
  for (int i = 0; i < 100000; ++i) junk.push_back(static_cast<char>(rng()));
  screen.Feed(junk);
  screen.Resize(100000, 0);  // clamped to 500 × 1
  screen.Feed("\x1b[2J\x1b[Hhello");
  auto rows = screen.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], "hello");
}

}  // namespace
}  // namespace agentmux
