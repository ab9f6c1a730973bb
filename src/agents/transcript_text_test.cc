// What `agentmux run` and `agentmux logs` print for each CLI: its transcript items (built from the
// genuine CLIs' output in tests/fixtures/transcripts) through the one printer, as updates arrive.
#include "agents/transcript_text.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agents/adapter.h"
#include "agents/transcript.h"

namespace agentmux {
namespace {
using nlohmann::json;

PrintedText Print(const std::string& tool, const std::string& name, size_t chunk = 64) {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  SessionRecord s;
  s.tool = tool;
  s.mode = SessionMode::kAutonomous;
  TranscriptFeed feed(AdapterRegistry().NewTranscriptBuilder(s));
  TranscriptPrinter printer;
  PrintedText all;
  auto print = [&](const std::vector<TranscriptUpdate>& updates) {
    for (const auto& u : updates) {
      PrintedText p = printer.Apply(u.ToJson());
      all.out += p.out;
      all.err += p.err;
    }
  };
  for (size_t i = 0; i < text.size(); i += chunk) print(feed.Chunk("stdout", std::string_view(text).substr(i, chunk)));
  print(feed.Finish());
  all.out += printer.Finish();
  return all;
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(TranscriptText, EveryCliShowsTheToolCallTheAnswerAndTheSummary) {
  std::string claude = Print("claude", "claude-stream-json.jsonl").out;
  EXPECT_TRUE(Has(claude, "● Claude Code 2.1.197 · model claude-opus-4-8[1m] · conversation e254051f-ca00-4c11-a542-cef57e7dcd50\n"))
      << claude;
  EXPECT_TRUE(Has(claude, "I'll create hello.txt.\n→ Write(/home/dev/lab/repo1/hello.txt)\n← File created successfully")) << claude;
  EXPECT_TRUE(Has(claude, "\n✓ done · turns 2 · tokens in 3460 out 99 · cost $0.0198\n")) << claude;
  EXPECT_FALSE(Has(claude, "{\"type\":")) << claude;

  std::string codex = Print("codex", "codex-exec.jsonl").out;
  EXPECT_TRUE(Has(codex, "● Codex · conversation 01a20120-d21a-75b1-9d21-b19019d30b59\n")) << codex;
  EXPECT_TRUE(Has(codex, "→ patch(add /home/dev/lab/crepo2/hello.txt)\n← completed add /home/dev/lab/crepo2/hello.txt\n")) << codex;
  EXPECT_TRUE(Has(codex, "Done. The tool said:")) << codex;
  EXPECT_TRUE(Has(codex, "✓ done · tokens in 13960 out 72 (Codex counts the whole conversation so far")) << codex;

  std::string opencode = Print("opencode", "opencode-run.jsonl").out;
  EXPECT_TRUE(Has(opencode, "→ write(/home/dev/lab/orepo1/hello.txt)\n← Wrote file successfully.\n")) << opencode;
  EXPECT_TRUE(Has(opencode, "✓ done · turns 2 · tokens in 4973 out 47 · cost $0.0000")) << opencode;

  std::string gemini = Print("gemini", "gemini-stream-json.jsonl", 5).out;
  EXPECT_TRUE(Has(gemini, "● Gemini CLI · model auto · conversation 7da7b70b-a790-48ec-8ca5-edbe35896bb7\n")) << gemini;
  EXPECT_TRUE(Has(gemini, "→ write_file(/home/dev/lab/grepo1/hello.txt)\n← success\n")) << gemini;
  // The answer's deltas are joined into one line, closed before the summary.
  EXPECT_TRUE(Has(gemini, "Done. The tool said: {\"output\": ")) << gemini;
  EXPECT_TRUE(Has(gemini, "Hello from the fake model!\\n\"}\n✓ done · tokens in 25001 out 99\n")) << gemini;
  EXPECT_FALSE(Has(gemini, "create hello.txt\n")) << "the user's own prompt is not repeated";

  // Read whole (as `agentmux logs` gets it): the reply once — the whole message in place of its
  // deltas. (Live, the deltas print as they come; this recording's whole message differs from
  // them in its paths, so it follows on a line of its own.)
  std::string copilot = Print("copilot", "copilot-output-json.jsonl", 1 << 20).out;
  EXPECT_TRUE(Has(copilot, "→ create(/home/dev/lab/prepo1/hello.txt)\n")) << copilot;
  EXPECT_TRUE(Has(copilot, "← Created file /home/dev/lab/prepo1/hello.txt with 27 characters\n")) << copilot;
  EXPECT_TRUE(Has(copilot, "Done. The tool said: Created file /home/dev/lab/prepo1/hello.txt with 27 characters\n")) << copilot;
  size_t reply = copilot.find("Done. The tool said:");
  ASSERT_NE(reply, std::string::npos) << copilot;
  EXPECT_EQ(copilot.find("Done. The tool said:", reply + 1), std::string::npos) << copilot;
  EXPECT_TRUE(Has(copilot, "✓ done · turns 2 (1 file changed (+1 −0) · 0 premium requests · no token counts on stdout)\n"))
      << copilot;
}

TEST(TranscriptText, ErrorsAreShownInTheClisOwnWords) {
  std::string codex = Print("codex", "codex-err-wrong-key.jsonl").out;
  EXPECT_TRUE(Has(codex, "✗ unexpected status 401 Unauthorized")) << codex;
  EXPECT_TRUE(Has(codex, "\n✗ failed\n")) << codex;
  EXPECT_TRUE(Has(Print("opencode", "opencode-err-wrong-key.jsonl").out, "✗ Incorrect API key provided (fake) (HTTP 401)\n"));
  std::string gemini = Print("gemini", "gemini-err-wrong-key.jsonl").out;
  EXPECT_TRUE(Has(gemini, "✗ failed: ")) << gemini;
  EXPECT_TRUE(Has(gemini, "API key not valid. (fake)")) << gemini;
  std::string copilot = Print("copilot", "copilot-err-wrong-key.jsonl").out;
  EXPECT_TRUE(Has(copilot, "✗ Authentication failed with provider")) << copilot;
  EXPECT_TRUE(Has(copilot, "✗ failed: exit code 1")) << copilot;
  EXPECT_TRUE(Has(Print("codex", "codex-err-server-down-timeout120.jsonl").out, "✗ Reconnecting..."));
  std::string claude = Print("claude", "claude-err-500-retries1.jsonl").out;
  EXPECT_TRUE(Has(claude, "· API retry: attempt 1 of ")) << claude;
}

TEST(TranscriptText, GrowingTextPrintsWhatWasAddedAndStderrGoesToStderr) {
  TranscriptPrinter p;
  auto text = [](const std::string& t) { return json{{"kind", "text"}, {"role", "assistant"}, {"text", t}}; };
  EXPECT_EQ(p.Apply(0, text("Hel")).out, "Hel");
  PrintedText err = p.Apply(1, {{"kind", "raw"}, {"stream", "stderr"}, {"text", "warning"}});
  EXPECT_EQ(err.out, "");
  EXPECT_EQ(err.err, "warning\n");
  EXPECT_EQ(p.Apply(0, text("Hello")).out, "lo");
  EXPECT_EQ(p.Apply(0, text("Hello")).out, "") << "the same update again prints nothing";
  EXPECT_EQ(p.Apply(2, {{"kind", "raw"}, {"stream", "stdout"}, {"text", "plain warning"}}).out, "\nplain warning\n");
  EXPECT_EQ(p.Apply(3, {{"kind", "thinking"}, {"text", "hmm"}}).out, "");
  EXPECT_EQ(p.Apply(4, text("bye")).out, "bye");
  EXPECT_EQ(p.Finish(), "\n");
  EXPECT_EQ(p.Finish(), "");
  EXPECT_EQ(p.Apply(json{{"index", "x"}}).out, "") << "a malformed update is skipped";
}

TEST(TranscriptText, AResultRepeatsNoAnswerButShowsWordsNotSeenYet) {
  TranscriptPrinter p;
  p.Apply(0, {{"kind", "text"}, {"role", "assistant"}, {"text", "All done."}});
  json result = {{"kind", "result"}, {"is_error", false}, {"text", "All done."}, {"num_turns", 1}};
  EXPECT_EQ(p.Apply(1, result).out, "\n✓ done · turns 1\n");
  TranscriptPrinter q;
  EXPECT_EQ(q.Apply(0, result).out, "✓ done: All done. · turns 1\n");
}

}  // namespace
}  // namespace agentmux
