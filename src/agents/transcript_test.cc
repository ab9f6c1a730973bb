// Readable transcripts of every CLI's structured output, from the genuine CLIs' transcripts in
// shared/reference/agents.
#include "agents/transcript.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace agentmux {
namespace {

std::string Render(const std::string& tool, const std::string& name) {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  auto r = MakeTranscriptRenderer(tool);
  std::string out, line;
  while (std::getline(in, line)) out += r->Line(line);
  return out + r->Finish();
}

TEST(Transcript, EveryCliShowsTheToolCallTheAnswerAndTheSummary) {
  std::string codex = Render("codex", "codex-exec.jsonl");
  EXPECT_NE(codex.find("● Codex · conversation 01a20120-d21a-75b1-9d21-b19019d30b59"), std::string::npos) << codex;
  EXPECT_NE(codex.find("→ patch(add /home/dev/lab/crepo2/hello.txt) completed"), std::string::npos) << codex;
  EXPECT_NE(codex.find("Done. The tool said:"), std::string::npos) << codex;
  EXPECT_NE(codex.find("✓ done · tokens in 13960 out 72"), std::string::npos) << codex;

  std::string opencode = Render("opencode", "opencode-run.jsonl");
  EXPECT_NE(opencode.find("→ write("), std::string::npos) << opencode;
  EXPECT_NE(opencode.find("hello.txt)\n← Wrote file successfully."), std::string::npos) << opencode;
  EXPECT_NE(opencode.find("✓ done · tokens in"), std::string::npos) << opencode;

  std::string gemini = Render("gemini", "gemini-stream-json.jsonl");
  EXPECT_NE(gemini.find("● Gemini CLI · model auto · conversation 7da7b70b-a790-48ec-8ca5-edbe35896bb7"), std::string::npos);
  EXPECT_NE(gemini.find("→ write_file(/home/dev/lab/grepo1/hello.txt)\n← success\n"), std::string::npos) << gemini;
  // The answer's deltas are joined into one line, closed before the summary.
  EXPECT_NE(gemini.find("Done. The tool said: "), std::string::npos) << gemini;
  EXPECT_NE(gemini.find("\n✓ done · tokens in 25001 out 99\n"), std::string::npos) << gemini;

  std::string copilot = Render("copilot", "copilot-output-json.jsonl");
  EXPECT_NE(copilot.find("→ create(/home/dev/lab/prepo1/hello.txt)\n← Created file /home/dev/lab/prepo1/hello.txt"), std::string::npos)
      << copilot;
  EXPECT_NE(copilot.find("✓ done · conversation e625ac21-0900-43d9-95d3-461f88ce16e1"), std::string::npos) << copilot;

  std::string claude = Render("claude", "claude-stream-json.jsonl");
  EXPECT_NE(claude.find("→ Write("), std::string::npos) << claude;
}

TEST(Transcript, ErrorsAreShownInTheClisOwnWords) {
  EXPECT_NE(Render("codex", "codex-err-wrong-key.jsonl").find("✗ failed: unexpected status 401 Unauthorized"), std::string::npos);
  EXPECT_NE(Render("opencode", "opencode-err-wrong-key.jsonl").find("✗ failed: Incorrect API key provided (fake)"), std::string::npos);
  EXPECT_NE(Render("gemini", "gemini-err-wrong-key.jsonl").find("✗ failed: "), std::string::npos);
  EXPECT_NE(Render("copilot", "copilot-err-wrong-key.jsonl").find("✗ Authentication failed with provider"), std::string::npos);
  EXPECT_NE(Render("codex", "codex-err-server-down-timeout120.jsonl").find("↻ Reconnecting..."), std::string::npos);
}

TEST(Transcript, NonJsonLinesPassThroughAndShellHasNoRenderer) {
  auto r = MakeTranscriptRenderer("codex");
  EXPECT_EQ(r->Line("plain warning"), "plain warning\n");
  EXPECT_EQ(MakeTranscriptRenderer("shell"), nullptr);
}

}  // namespace
}  // namespace agentmux
