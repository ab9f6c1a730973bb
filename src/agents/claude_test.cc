// The stream-json parser against every Claude Code transcript in shared/reference/agents (recorded
// from the genuine CLI, 2.1.197 and 2.1.330). Expected values are the ones REPORT.md states.
#include "agents/claude.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace agentmux {
namespace {

std::string ReferenceDir() { return std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts"; }

std::string Read(const std::string& name) {
  std::ifstream in(ReferenceDir() + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing reference transcript " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

AgentReport Parse(const std::string& name, size_t split = 0) {
  std::string text = Read(name);
  ClaudeStreamParser p;
  if (split == 0) {
    p.Feed(text);
  } else {
    // Feed in small pieces: lines split across reads must still parse.
    for (size_t i = 0; i < text.size(); i += split) p.Feed(std::string_view(text).substr(i, split));
  }
  p.Finish();
  return p.report();
}

TEST(ClaudeStream, SuccessfulRunGivesConversationUsageAndCost) {
  for (size_t split : {size_t{0}, size_t{7}, size_t{4096}}) {
    AgentReport r = Parse("claude-stream-json.jsonl", split);
    EXPECT_EQ(r.agent_session_id, "e254051f-ca00-4c11-a542-cef57e7dcd50");
    ASSERT_TRUE(r.usage);
    EXPECT_EQ(r.usage->input_tokens, 3460);
    EXPECT_EQ(r.usage->output_tokens, 99);
    EXPECT_DOUBLE_EQ(*r.cost_usd, 0.019775);
    EXPECT_EQ(r.num_turns, 2);
    EXPECT_EQ(r.is_error, false);
    EXPECT_EQ(r.agent_version, "2.1.197");
  }
}

TEST(ClaudeStream, EventsNameTheTurnAndItsToolCalls) {
  ClaudeStreamParser p;
  p.Feed(Read("claude-stream-json.jsonl"));
  p.Finish();
  std::vector<std::string> types;
  std::string tool, input;
  for (const auto& e : p.TakeEvents()) {
    types.push_back(e.type);
    if (e.type == "tool_use") tool = e.data["tool"], input = e.data["input"];
  }
  EXPECT_EQ(types, (std::vector<std::string>{"turn_started", "tool_use", "turn_finished"}));
  EXPECT_EQ(tool, "Write");
  EXPECT_EQ(input, "/home/dev/lab/repo1/hello.txt");
}

TEST(ClaudeStream, Version2_1_330) {
  AgentReport r = Parse("claude-2.1.330-stream-json.jsonl");
  EXPECT_EQ(r.agent_session_id, "7074370e-26f9-4443-9edd-4fd39ca38702");
  EXPECT_EQ(r.usage->input_tokens, 5789);
  EXPECT_DOUBLE_EQ(*r.cost_usd, 0.025136);
  EXPECT_EQ(r.agent_version, "2.1.330");
  AgentReport resumed = Parse("claude-2.1.330-stream-json-resume.jsonl");
  EXPECT_EQ(resumed.agent_session_id, r.agent_session_id);
  EXPECT_EQ(resumed.num_turns, 1);
}

TEST(ClaudeStream, ResumeKeepsTheConversationId) {
  AgentReport r = Parse("claude-stream-json-resume.jsonl");
  EXPECT_EQ(r.agent_session_id, "e254051f-ca00-4c11-a542-cef57e7dcd50");
  EXPECT_EQ(r.usage->input_tokens, 1866);
  EXPECT_DOUBLE_EQ(*r.cost_usd, 0.010005);
}

TEST(ClaudeStream, PartialMessagesDoNotConfuseTheParser) {
  AgentReport r = Parse("claude-stream-json-partial.jsonl");
  EXPECT_EQ(r.agent_session_id, "eed18246-c71b-4728-8ebe-d758f42f1aad");
  EXPECT_EQ(r.usage->output_tokens, 100);
  EXPECT_EQ(r.is_error, false);
}

TEST(ClaudeStream, TwoTurnsInOneProcessAddUpUsage) {
  AgentReport r = Parse("claude-stream-json-input-2turns.jsonl");
  EXPECT_EQ(r.usage->input_tokens, 1669 + 1721);
  EXPECT_EQ(r.num_turns, 2);
  EXPECT_DOUBLE_EQ(*r.cost_usd, 0.0182);  // total_cost_usd runs over the process
}

TEST(ClaudeStream, OutputJsonFormatIsOneResultLine) {
  AgentReport r = Parse("claude-output-json.json");
  EXPECT_EQ(r.agent_session_id, "56fbc3c0-8081-48b1-9fec-eedaf69347e6");
  EXPECT_EQ(r.usage->input_tokens, 1668);
}

struct ErrorCase {
  const char* file;
  const char* message;
};

TEST(ClaudeStream, ErrorResultsAreErrorsEvenWhenSubtypeSaysSuccess) {
  const ErrorCase cases[] = {
      {"claude-err-wrong-key.jsonl", "Invalid API key · Fix external API key"},
      {"claude-err-no-key.jsonl", "Not logged in · Please run /login"},
      {"claude-err-server-down.jsonl", "API Error: Unable to connect to API (ConnectionRefused)"},
      {"claude-err-500-retries1.jsonl", "API Error: 500 fake api_error."},
      {"claude-err-resume-unknown.jsonl", "No conversation found with session ID: 99999999-2222-4333-8444-555555555555"},
      {"claude-err-sigint-midstream.jsonl", "[ede_diagnostic]"},
  };
  for (const auto& c : cases) {
    AgentReport r = Parse(c.file);
    EXPECT_EQ(r.is_error, true) << c.file;
    ASSERT_TRUE(r.error) << c.file;
    EXPECT_EQ(r.error->rfind(c.message, 0), 0u) << c.file << ": " << *r.error;
    EXPECT_TRUE(r.agent_session_id) << c.file;
  }
}

TEST(ClaudeStream, EveryReferenceTranscriptParsesWithoutSurprises) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ReferenceDir())) {
    std::string name = entry.path().filename().string();
    if (name.rfind("claude-", 0) != 0 || name.find("requests") != std::string::npos) continue;
    if (entry.path().extension() != ".jsonl" && entry.path().extension() != ".json") continue;
    AgentReport r = Parse(name, 13);
    ++files;
    EXPECT_TRUE(r.agent_session_id) << name;
    EXPECT_TRUE(r.is_error.has_value()) << name << ": every transcript ends with a result line";
    EXPECT_EQ(*r.is_error, name.find("-err-") != std::string::npos) << name;
  }
  EXPECT_GE(files, 12);
}

TEST(ClaudeStream, NonJsonLinesAreIgnored) {
  ClaudeStreamParser p;
  EXPECT_FALSE(p.Feed("Warning: no stdin data received in 3s, proceeding without it\n"));
  EXPECT_FALSE(p.Feed("{not json}\n"));
  EXPECT_TRUE(p.Feed("{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"abc\"}\r\n"));
  EXPECT_EQ(p.report().agent_session_id, "abc");
}

}  // namespace
}  // namespace agentmux
