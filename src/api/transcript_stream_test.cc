// The transcript a WebSocket subscription sends: after GET …/transcript (or a reconnect) a client
// continues from its log seq and ends with exactly the items a fresh read gives — the last line
// without a newline included, however the session's end and its last chunk are ordered.
#include "api/transcript_stream.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agents/adapter.h"

namespace agentmux {
namespace {
using nlohmann::json;

std::unique_ptr<TranscriptBuilder> Builder(const std::string& tool) {
  SessionRecord s;
  s.tool = tool;
  s.mode = SessionMode::kAutonomous;
  return AdapterRegistry().NewTranscriptBuilder(s);
}

// `text` as a session's log: chunks of `size` bytes, seq from 1, on stdout.
std::vector<LogChunkPtr> Chunks(const std::string& text, size_t size) {
  std::vector<LogChunkPtr> out;
  for (size_t i = 0; i < text.size(); i += size) {
    auto c = std::make_shared<LogChunk>();
    c->session_id = "s1";
    c->seq = static_cast<int64_t>(out.size()) + 1;
    c->level = "stdout";
    c->data = text.substr(i, size);
    out.push_back(c);
  }
  return out;
}

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Applies a `transcript` message's updates as a client does.
void Apply(json& items, const std::shared_ptr<const std::string>& msg, int64_t expected_seq) {
  if (!msg) return;
  json m = json::parse(*msg);
  EXPECT_EQ(m["type"], "transcript");
  EXPECT_EQ(m["session_id"], "s1");
  EXPECT_EQ(m["seq"], expected_seq);
  for (const auto& u : m["updates"]) {
    size_t i = u["index"];
    ASSERT_LE(i, items.size());
    if (i == items.size()) items.push_back(u["item"]);
    else items[i] = u["item"];
  }
}

TEST(TranscriptStream, AClientContinuesFromItsLogSeqToTheSameItemsAsAFreshRead) {
  // The Gemini run streams its answer as deltas: a cut mid-answer leaves an item that later grows.
  std::string text = Fixture("gemini-stream-json.jsonl");
  text.pop_back();  // the last line has no newline: only the end of the session reads it
  auto chunks = Chunks(text, 97);
  json whole = TranscriptJson("s1", Builder("gemini"), chunks, true)["items"];
  ASSERT_EQ(whole.back()["kind"], "result");
  for (size_t since = 0; since <= chunks.size(); since += 3) {
    // GET while the session ran: the chunks up to `since`, the last line not yet read.
    json got = TranscriptJson("s1", Builder("gemini"), {chunks.begin(), chunks.begin() + since}, false);
    EXPECT_EQ(got["log_seq"], since);
    json items = got["items"];
    TranscriptStream stream("s1", Builder("gemini"));
    EXPECT_EQ(stream.Status(false, 0), nullptr);
    for (const auto& c : chunks) {
      auto msg = stream.Chunk(*c, c->seq <= static_cast<int64_t>(since));
      if (c->seq <= static_cast<int64_t>(since)) {
        EXPECT_EQ(msg, nullptr);
      }
      Apply(items, msg, c->seq);
    }
    EXPECT_NE(items, whole) << "the last line waits for the end of the session";
    Apply(items, stream.Status(true, static_cast<int64_t>(chunks.size())), static_cast<int64_t>(chunks.size()));
    EXPECT_EQ(items, whole) << "since " << since;
    EXPECT_EQ(stream.Status(true, static_cast<int64_t>(chunks.size())), nullptr) << "the end is read once";
  }
}

TEST(TranscriptStream, AnEndedSessionsLastLineComesWithItsLastChunk) {
  std::string text = Fixture("codex-exec.jsonl");
  text.pop_back();
  auto chunks = Chunks(text, 200);
  json whole = TranscriptJson("s1", Builder("codex"), chunks, true)["items"];
  TranscriptStream stream("s1", Builder("codex"));
  // Subscribed to a session that has ended: its final log_seq is known before the replay.
  EXPECT_EQ(stream.Status(true, static_cast<int64_t>(chunks.size())), nullptr);
  json items = json::array();
  for (const auto& c : chunks) Apply(items, stream.Chunk(*c, false), c->seq);
  EXPECT_EQ(items, whole);
  EXPECT_EQ(whole.back()["kind"], "result");
  // Resumed (interrupted → running): the log goes on, and ends again later.
  EXPECT_EQ(stream.Status(false, static_cast<int64_t>(chunks.size())), nullptr);
  auto more = std::make_shared<LogChunk>(*chunks.back());
  more->seq = static_cast<int64_t>(chunks.size()) + 1;
  more->data = "\nplain";
  Apply(items, stream.Chunk(*more, false), more->seq);
  Apply(items, stream.Status(true, more->seq), more->seq);
  EXPECT_EQ(items.back(), (json{{"kind", "raw"}, {"stream", "stdout"}, {"text", "plain"}}));
}

TEST(TranscriptStream, MergedUpdatesKeepOnePerIndexTheLaterWinning) {
  std::vector<TranscriptUpdate> a = {{0, TranscriptItem::Text("assistant", "a")}, {2, TranscriptItem::Error("x")}};
  MergeUpdates(a, {{1, TranscriptItem::Thinking("t")}, {2, TranscriptItem::Error("y")}});
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].index, 1u);
  EXPECT_EQ(a[2].item.text, "y");
}

}  // namespace
}  // namespace agentmux
