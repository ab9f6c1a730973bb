// Transcript items of every agent CLI, read by each CLI's builder from the transcripts of the
// genuine CLIs in tests/fixtures/transcripts, fed as a session's log arrives: in chunks cut
// anywhere (lines and UTF-8 characters split), stdout and stderr interleaved.
#include "agents/transcript.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agents/adapter.h"

namespace agentmux {
namespace {
using nlohmann::json;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<TranscriptBuilder> Builder(const std::string& tool) {
  static const AdapterRegistry registry;
  SessionRecord s;
  s.tool = tool;
  s.mode = SessionMode::kAutonomous;
  return registry.NewTranscriptBuilder(s);
}

// Applies updates as a client does: index == size appends, a smaller index replaces.
void Apply(json& items, const std::vector<TranscriptUpdate>& updates) {
  for (const auto& u : updates) {
    ASSERT_LE(u.index, items.size());
    if (u.index == items.size()) items.push_back(u.item.ToJson());
    else items[u.index] = u.item.ToJson();
  }
}

// The items of fixture `name` read by `tool`'s builder, fed in `size`-byte stdout chunks; also
// checks that the updates each chunk returned rebuild exactly those items.
json Read(const std::string& tool, const std::string& name, size_t size = 100000) {
  TranscriptFeed feed(Builder(tool));
  std::string text = Fixture(name);
  json applied = json::array();
  for (size_t i = 0; i < text.size(); i += size) Apply(applied, feed.Chunk("stdout", std::string_view(text).substr(i, size)));
  Apply(applied, feed.Finish());
  json items = ToJson(feed.items());
  EXPECT_EQ(applied, items) << name << ": the updates do not rebuild the items";
  return items;
}

std::vector<std::string> Kinds(const json& items) {
  std::vector<std::string> out;
  for (const auto& it : items) out.push_back(it["kind"]);
  return out;
}

json OfKind(const json& items, const std::string& kind) {
  json out = json::array();
  for (const auto& it : items)
    if (it["kind"] == kind) out.push_back(it);
  return out;
}

bool Contains(const json& s, const std::string& part) { return s.is_string() && s.get<std::string>().find(part) != std::string::npos; }

using V = std::vector<std::string>;

TEST(ClaudeTranscript, TheReferenceRunCutIntoChunksOfAnySize) {
  for (size_t size : {7, 64, 100000}) {
    json items = Read("claude", "claude-stream-json.jsonl", size);
    ASSERT_EQ(Kinds(items), (V{"init", "text", "tool_use", "tool_result", "text", "result"})) << size;
    EXPECT_EQ(items[0]["agent"], "Claude Code");
    EXPECT_EQ(items[0]["model"], "claude-opus-4-8[1m]");
    EXPECT_EQ(items[0]["conversation_id"], "e254051f-ca00-4c11-a542-cef57e7dcd50");
    EXPECT_EQ(items[0]["version"], "2.1.197");
    EXPECT_EQ(items[1], (json{{"kind", "text"}, {"role", "assistant"}, {"text", "I'll create hello.txt."}}));
    EXPECT_EQ(items[2]["name"], "Write");
    EXPECT_EQ(items[2]["input"]["file_path"], "/home/dev/lab/repo1/hello.txt");
    EXPECT_EQ(items[2]["summary"], "/home/dev/lab/repo1/hello.txt");
    EXPECT_EQ(items[3]["tool_name"], "Write");
    EXPECT_EQ(items[3]["tool_use_id"], items[2]["id"]);
    EXPECT_EQ(items[3]["is_error"], false);
    // The em dash straddles chunk boundaries at 7 bytes and must survive.
    EXPECT_TRUE(Contains(items[3]["content"], "file state is current in your context — no need")) << items[3];
    const json& r = items[5];
    EXPECT_EQ(r["subtype"], "success");
    EXPECT_EQ(r["is_error"], false);
    EXPECT_EQ(r["num_turns"], 2);
    EXPECT_DOUBLE_EQ(r["cost_usd"].get<double>(), 0.019775);
    EXPECT_EQ(r["usage"]["input_tokens"], 3460);
    EXPECT_EQ(r["usage"]["output_tokens"], 99);
    EXPECT_EQ(r["conversation_id"], "e254051f-ca00-4c11-a542-cef57e7dcd50");
  }
}

TEST(ClaudeTranscript, ApiRetriesStderrAndNonJsonLinesAreShown) {
  TranscriptFeed feed(Builder("claude"));
  std::string text = Fixture("claude-err-500-retries1.jsonl");
  for (size_t i = 0; i < text.size(); i += 50) feed.Chunk("stdout", std::string_view(text).substr(i, 50));
  feed.Chunk("stderr", "warning: something\n");
  feed.Chunk("stdout", "not json");  // no newline: a line only once the log ends
  json before = ToJson(feed.items());
  feed.Finish();
  json items = ToJson(feed.items());
  json retry = OfKind(items, "system");
  ASSERT_FALSE(retry.empty());
  EXPECT_EQ(retry[0]["subtype"], "API retry");
  EXPECT_TRUE(Contains(retry[0]["text"], "attempt 1 of ")) << retry[0];
  EXPECT_TRUE(Contains(retry[0]["text"], "HTTP 500")) << retry[0];
  EXPECT_NE(std::find(items.begin(), items.end(), json{{"kind", "raw"}, {"stream", "stderr"}, {"text", "warning: something"}}),
            items.end());
  EXPECT_EQ(before.size() + 1, items.size());
  EXPECT_EQ(items.back(), (json{{"kind", "raw"}, {"stream", "stdout"}, {"text", "not json"}}));
}

TEST(TranscriptItems, ToolInputsAreSummarisedByOneRule) {
  EXPECT_EQ(SummarizeToolInput(json{{"command", "make test"}}), "make test");
  EXPECT_EQ(SummarizeToolInput(json{{"file_path", "/x/hello.txt"}, {"content", "…"}}), "/x/hello.txt");
  EXPECT_EQ(SummarizeToolInput(json{{"command", json::array({"ls", "-la"})}}), "ls -la");
  EXPECT_EQ(SummarizeToolInput(json{{"description", "find the bug"}, {"prompt", "long"}}), "find the bug");
  EXPECT_EQ(SummarizeToolInput(json{{"changes", json::array({json{{"kind", "add"}, {"path", "a.txt"}}, json{{"kind", "update"}, {"path", "b"}}})}}),
            "add a.txt, update b");
  EXPECT_EQ(SummarizeToolInput(json{{"command", "ls\n-la"}}), "ls -la");
  EXPECT_EQ(SummarizeToolInput(json{{"x", 1}}), "{\"x\":1}");
  EXPECT_EQ(SummarizeToolInput(json()), "");
  EXPECT_EQ(SummarizeToolInput(json(std::string(1000, 'a'))).size(), 300u);
  // A cut never splits a UTF-8 character.
  std::string euros;
  for (int i = 0; i < 200; ++i) euros += "€";
  std::string s = SummarizeToolInput(json(euros));
  EXPECT_LE(s.size(), 300u);
  EXPECT_EQ(s.substr(s.size() - 3), "...");
  EXPECT_EQ((s.size() - 3) % 3, 0u);
}

TEST(CodexTranscript, PatchThatAddsHelloTxtReplyAndUsage) {
  json items = Read("codex", "codex-exec.jsonl");
  ASSERT_EQ(Kinds(items), (V{"init", "tool_use", "tool_result", "text", "result"}));
  EXPECT_EQ(items[0]["agent"], "Codex");
  EXPECT_EQ(items[0]["conversation_id"], "01a20120-d21a-75b1-9d21-b19019d30b59");
  EXPECT_EQ(items[1]["id"], "item_0");
  EXPECT_EQ(items[1]["name"], "patch");
  EXPECT_EQ(items[1]["summary"], "add /home/dev/lab/crepo2/hello.txt");
  EXPECT_EQ(items[2], (json{{"kind", "tool_result"}, {"tool_use_id", "item_0"}, {"tool_name", "patch"},
                            {"content", "completed\nadd /home/dev/lab/crepo2/hello.txt"}, {"is_error", false}}));
  EXPECT_TRUE(Contains(items[3]["text"], "Success. Updated the following files:\nA hello.txt")) << items[3];
  EXPECT_EQ(items[4]["is_error"], false);
  EXPECT_EQ(items[4]["usage"], (json{{"input_tokens", 13960}, {"output_tokens", 72}, {"cache_read_tokens", 0},
                                     {"cache_creation_tokens", 0}}));
  EXPECT_TRUE(Contains(items[4]["note"], "whole conversation"));
}

TEST(CodexTranscript, AShellCommandAndTheModelMetadataWarning) {
  json items = Read("codex", "codex-exec-shell-fake-model.jsonl");
  ASSERT_EQ(Kinds(items), (V{"init", "system", "tool_use", "tool_result", "text", "result"}));
  EXPECT_EQ(items[1]["subtype"], "Warning");
  EXPECT_EQ(items[2]["name"], "shell");
  EXPECT_TRUE(Contains(items[2]["summary"], "> hello.txt")) << items[2];
  EXPECT_EQ(items[3]["tool_name"], "shell");
  EXPECT_EQ(items[3]["is_error"], false);
  EXPECT_EQ(items[3]["content"], "exit code 0");
}

TEST(CodexTranscript, AWrongKeyShowsThe401AndAFailedResult) {
  json items = Read("codex", "codex-err-wrong-key.jsonl");
  ASSERT_EQ(Kinds(items), (V{"init", "error", "result"}));
  EXPECT_TRUE(Contains(items[1]["text"], "401 Unauthorized: Incorrect API key provided"));
  EXPECT_EQ(items[2]["is_error"], true);
  EXPECT_EQ(items[2]["text"], nullptr) << "the error line said it already";
}

TEST(OpencodeTranscript, WriteToolWithItsOutputReplyAndSummedStepUsage) {
  json items = Read("opencode", "opencode-run.jsonl");
  ASSERT_EQ(Kinds(items), (V{"init", "tool_use", "tool_result", "text", "result"}));
  EXPECT_EQ(items[0]["agent"], "OpenCode");
  EXPECT_EQ(items[0]["conversation_id"], "ses_dfedc54bdffeX13o4mX8WU0bq8");
  EXPECT_EQ(items[1]["id"], "call_fake_0003");
  EXPECT_EQ(items[1]["name"], "write");
  EXPECT_EQ(items[1]["input"]["filePath"], "/home/dev/lab/orepo1/hello.txt");
  EXPECT_EQ(items[1]["summary"], "/home/dev/lab/orepo1/hello.txt");
  EXPECT_EQ(items[2]["tool_name"], "write");
  EXPECT_EQ(items[2]["content"], "Wrote file successfully.");
  EXPECT_EQ(items[2]["is_error"], false);
  EXPECT_EQ(items[3]["text"], "Done. The tool said: Wrote file successfully.");
  const json& r = items[4];
  EXPECT_EQ(r["subtype"], "stop");
  EXPECT_EQ(r["is_error"], false);
  EXPECT_EQ(r["num_turns"], 2);
  EXPECT_EQ(r["cost_usd"], 0);
  EXPECT_EQ(r["usage"]["input_tokens"], 2445 + 2528);
  EXPECT_EQ(r["usage"]["output_tokens"], 33 + 14);
  EXPECT_EQ(r["conversation_id"], "ses_dfedc54bdffeX13o4mX8WU0bq8");
}

TEST(OpencodeTranscript, AWrongKeyShowsTheApiError) {
  json items = Read("opencode", "opencode-err-wrong-key.jsonl");
  ASSERT_EQ(Kinds(items), (V{"init", "error"}));
  EXPECT_EQ(items[1], (json{{"kind", "error"}, {"text", "Incorrect API key provided (fake) (HTTP 401)"}}));
}

TEST(GeminiTranscript, PromptWriteFileItsResultTheDeltasJoinedAndStats) {
  json items = Read("gemini", "gemini-stream-json.jsonl", 3);
  ASSERT_EQ(Kinds(items), (V{"init", "text", "tool_use", "tool_result", "text", "result"}));
  EXPECT_EQ(items[0]["agent"], "Gemini CLI");
  EXPECT_EQ(items[0]["model"], "auto");
  EXPECT_EQ(items[0]["conversation_id"], "7da7b70b-a790-48ec-8ca5-edbe35896bb7");
  EXPECT_EQ(items[1], (json{{"kind", "text"}, {"role", "user"}, {"text", "create hello.txt"}}));
  EXPECT_EQ(items[2]["name"], "write_file");
  EXPECT_EQ(items[2]["input"]["file_path"], "/home/dev/lab/grepo1/hello.txt");
  EXPECT_EQ(items[3]["tool_use_id"], "write_file__write_file_1795315609039_0");
  EXPECT_EQ(items[3]["tool_name"], "write_file");
  EXPECT_EQ(items[3]["is_error"], false);
  EXPECT_EQ(items[3]["content"], "success");
  EXPECT_EQ(items[4]["text"],
            "Done. The tool said: {\"output\": \"Successfully created and wrote to new file: "
            "/tmp/agentlab/grepo1/hello.txt. Here is the updated code:\\nHello from the fake model!\\n\"}");
  EXPECT_EQ(items[5]["is_error"], false);
  EXPECT_EQ(items[5]["duration_ms"], 138);
  EXPECT_EQ(items[5]["usage"]["input_tokens"], 25001);
  EXPECT_EQ(items[5]["usage"]["output_tokens"], 99);
  EXPECT_EQ(items[5]["usage"]["cache_read_tokens"], 0);
}

TEST(GeminiTranscript, AWrongKeyEndsInAResultCarryingTheApiError) {
  json items = Read("gemini", "gemini-err-wrong-key.jsonl");
  EXPECT_EQ(items.back()["kind"], "result");
  EXPECT_EQ(items.back()["subtype"], "error");
  EXPECT_EQ(items.back()["is_error"], true);
  EXPECT_TRUE(Contains(items.back()["text"], "API key not valid. (fake)")) << items.back();
}

TEST(CopilotTranscript, PromptCreateToolItsResultTheReplyOnceTurnsAndCodeChanges) {
  json items = Read("copilot", "copilot-output-json.jsonl", 17);
  ASSERT_EQ(Kinds(items), (V{"text", "tool_use", "system", "tool_result", "text", "result"}));
  EXPECT_EQ(items[0], (json{{"kind", "text"}, {"role", "user"}, {"text", "create hello.txt"}}));
  EXPECT_EQ(items[1]["id"], "call_fake_0002");
  EXPECT_EQ(items[1]["name"], "create");
  EXPECT_EQ(items[1]["input"]["path"], "/home/dev/lab/prepo1/hello.txt");
  EXPECT_EQ(items[2]["subtype"], "file created");
  EXPECT_EQ(items[3]["tool_name"], "create");
  EXPECT_EQ(items[3]["is_error"], false);
  EXPECT_EQ(items[3]["content"], "Created file /home/dev/lab/prepo1/hello.txt with 27 characters");
  // The deltas, then the whole message in their place.
  EXPECT_EQ(items[4], (json{{"kind", "text"}, {"role", "assistant"},
                            {"text", "Done. The tool said: Created file /home/dev/lab/prepo1/hello.txt with 27 characters"}}));
  EXPECT_EQ(items[5]["is_error"], false);
  EXPECT_EQ(items[5]["num_turns"], 2);
  EXPECT_EQ(items[5]["duration_ms"], 255);
  EXPECT_EQ(items[5]["conversation_id"], "e625ac21-0900-43d9-95d3-461f88ce16e1");
  EXPECT_TRUE(Contains(items[5]["note"], "1 file changed (+1 −0)")) << items[5];
}

TEST(CopilotTranscript, AWrongKeyRetriesTheAuthenticationErrorAndExitCode1) {
  json items = Read("copilot", "copilot-err-wrong-key.jsonl");
  ASSERT_EQ(Kinds(items), (V{"text", "system", "system", "error", "result"}));
  EXPECT_EQ(items[1]["subtype"], "Retry");
  EXPECT_TRUE(Contains(items[3]["text"], "Authentication failed with provider at http://127.0.0.1:8766/v1 (HTTP 401)"));
  EXPECT_EQ(items.back()["is_error"], true);
  EXPECT_EQ(items.back()["text"], "exit code 1");
}

TEST(TranscriptItems, StreamedDeltasGrowOneItemInPlaceAndTheUpdateSaysSo) {
  auto b = Builder("gemini");
  auto line = [](const json& j) { return j.dump(); };
  auto first = b->Line("stdout", line({{"type", "message"}, {"role", "assistant"}, {"content", "Hel"}, {"delta", true}}));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].index, 0u);
  b->Line("stderr", "Ripgrep is not available.");  // another pipe: does not end the message
  auto changed = b->Line("stdout", line({{"type", "message"}, {"role", "assistant"}, {"content", "lo"}, {"delta", true}}));
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].index, 0u);
  EXPECT_EQ(changed[0].ToJson()["item"], (json{{"kind", "text"}, {"role", "assistant"}, {"text", "Hello"}}));
  b->Line("stdout", line({{"type", "tool_use"}, {"tool_name", "x"}, {"tool_id", "1"}, {"parameters", json::object()}}));
  auto again = b->Line("stdout", line({{"type", "message"}, {"role", "assistant"}, {"content", "again"}, {"delta", true}}));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].index, 3u) << "a delta after another item starts a new one";
  V shown;
  for (const auto& it : b->items()) shown.push_back(it.kind == ItemKind::kText ? it.text : ToString(it.kind));
  EXPECT_EQ(shown, (V{"Hello", "raw", "tool_use", "again"}));
}

TEST(TranscriptItems, UnknownJsonAndNonJsonLinesStayAsTextCopilotDropsItsEphemeralProgress) {
  for (const std::string tool : {"codex", "opencode", "gemini", "copilot"}) {
    TranscriptFeed feed(Builder(tool));
    feed.Chunk("stdout", "{\"type\":\"brand.new\",\"x\":1}\nnot json\n{\"no\":\"type\"}\n\n  \n");
    EXPECT_EQ(ToJson(feed.items()), (json{{{"kind", "raw"}, {"stream", "stdout"}, {"text", "{\"type\":\"brand.new\",\"x\":1}"}},
                                          {{"kind", "raw"}, {"stream", "stdout"}, {"text", "not json"}},
                                          {{"kind", "raw"}, {"stream", "stdout"}, {"text", "{\"no\":\"type\"}"}}}))
        << tool;
  }
  auto copilot = Builder("copilot");
  copilot->Line("stdout", R"({"type":"model.call_start","ephemeral":true,"data":{}})");
  EXPECT_TRUE(copilot->items().empty());
  // Claude Code: stream_event lines (partial messages) are not shown, the full message follows.
  auto claude = Builder("claude");
  claude->Line("stdout", R"({"type":"stream_event","event":{}})");
  EXPECT_TRUE(claude->items().empty());
}

TEST(TranscriptItems, OnlyAutonomousSessionsOfStructuredClisHaveATranscript) {
  AdapterRegistry registry;
  SessionRecord s;
  s.mode = SessionMode::kAutonomous;
  for (const char* tool : {"claude", "codex", "opencode", "gemini", "copilot"}) {
    s.tool = tool;
    EXPECT_NE(registry.NewTranscriptBuilder(s), nullptr) << tool;
  }
  s.tool = "shell";
  EXPECT_EQ(registry.NewTranscriptBuilder(s), nullptr);
  s.tool = "claude";
  s.mode = SessionMode::kGuided;
  EXPECT_EQ(registry.NewTranscriptBuilder(s), nullptr) << "a guided session is a terminal stream";
  s.tool = "no-such-tool";
  s.mode = SessionMode::kAutonomous;
  EXPECT_EQ(registry.NewTranscriptBuilder(s), nullptr);
}

// Every transcript of every CLI: chunks cut at random byte positions (and one byte at a time)
// give the same items as the whole file, and the updates rebuild them (checked by Read).
TEST(TranscriptItems, EveryFixtureSplitAnywhereGivesTheSameItems) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts")) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".jsonl") continue;
    std::string tool = name.substr(0, name.find('-'));
    if (!Builder(tool)) continue;
    ++files;
    json whole = Read(tool, name);
    EXPECT_FALSE(whole.empty()) << name;
    std::string text = Fixture(name);
    uint32_t seed = 1;
    auto next = [&seed] { return (seed = seed * 1103515245u + 12345u) >> 8; };
    for (int round = 1; round <= 10; ++round) {
      TranscriptFeed feed(Builder(tool));
      for (size_t i = 0; i < text.size();) {
        size_t n = 1 + next() % (round % 2 ? 12 : 400);
        feed.Chunk("stdout", std::string_view(text).substr(i, n));
        i += n;
      }
      feed.Finish();
      EXPECT_EQ(ToJson(feed.items()), whole) << name << " round " << round;
    }
    EXPECT_EQ(Read(tool, name, 1), whole) << name << " one byte at a time";
  }
  EXPECT_GE(files, 30);
}

}  // namespace
}  // namespace agentmux
