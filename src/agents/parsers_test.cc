// Parsers of Codex, OpenCode, Gemini and Copilot output against every transcript of the genuine
// CLIs in shared/reference/agents (values as REPORT.md states them).
#include "agents/parsers.h"

#include "agents/claude.h"
#include "agents/transcript.h"
#include "agents/transcript_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <unistd.h>

namespace agentmux {
namespace {
using nlohmann::json;

std::string ReferenceDir() { return std::string(AGENTMUX_SOURCE_DIR) + "/tests/fixtures/transcripts"; }

AgentReport Parse(std::unique_ptr<OutputParser> p, const std::string& name, size_t split = 0) {
  std::ifstream in(ReferenceDir() + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing reference transcript " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (split == 0) p->Feed(text);
  else
    for (size_t i = 0; i < text.size(); i += split) p->Feed(std::string_view(text).substr(i, split));
  p->Finish();
  return p->report();
}

// The normalised events of one transcript: "turn_started", "tool_use:<tool>", "turn_finished", "error".
std::vector<std::string> Events(std::unique_ptr<OutputParser> p, const std::string& name) {
  std::ifstream in(ReferenceDir() + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); i += 5) {
    p->Feed(std::string_view(text).substr(i, 5));
    for (auto& e : p->TakeEvents()) out.push_back(e.type == "tool_use" ? "tool_use:" + e.data["tool"].get<std::string>() : e.type);
  }
  p->Finish();
  for (auto& e : p->TakeEvents()) out.push_back(e.type);
  return out;
}

TEST(AgentEvents, TurnsAndToolCallsOfEveryCliInOneVocabulary) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Events(MakeCodexParser(), "codex-exec.jsonl"), (V{"turn_started", "tool_use:file_change", "turn_finished"}));
  EXPECT_EQ(Events(MakeCodexParser(), "codex-exec-shell-fake-model.jsonl"),
            (V{"turn_started", "tool_use:command_execution", "turn_finished"}));
  EXPECT_EQ(Events(MakeOpencodeParser(), "opencode-run.jsonl"), (V{"turn_started", "tool_use:write", "turn_finished"}));
  EXPECT_EQ(Events(MakeGeminiParser(), "gemini-stream-json.jsonl"), (V{"turn_started", "tool_use:write_file", "turn_finished"}));
  V copilot = Events(MakeCopilotParser(), "copilot-output-json.jsonl");
  EXPECT_EQ(copilot.front(), "turn_started");
  EXPECT_NE(std::find(copilot.begin(), copilot.end(), "tool_use:create"), copilot.end());
  EXPECT_EQ(copilot.back(), "turn_finished");
  V key = Events(MakeCodexParser(), "codex-err-wrong-key.jsonl");
  EXPECT_EQ(key.back(), "turn_finished");
  EXPECT_NE(std::find(key.begin(), key.end(), "error"), key.end());
  // Tool input summaries name the command or path, on one line, at most 300 bytes.
  EXPECT_EQ(SummarizeToolInput(nlohmann::json{{"file_path", "/p/hello.txt"}, {"content", "x"}}), "/p/hello.txt");
  EXPECT_EQ(SummarizeToolInput(nlohmann::json{{"command", "ls\n-la"}}), "ls -la");
  EXPECT_EQ(SummarizeToolInput(nlohmann::json(std::string(1000, 'a'))).size(), 300u);
}

TEST(CodexParser, RunAndResumeWithThreadCumulativeUsage) {
  AgentReport r = Parse(MakeCodexParser(), "codex-exec.jsonl", 11);
  EXPECT_EQ(r.agent_session_id, "01a20120-d21a-75b1-9d21-b19019d30b59");
  EXPECT_EQ(r.usage->input_tokens, 13960);
  EXPECT_EQ(r.usage->output_tokens, 72);
  EXPECT_EQ(r.num_turns, 1);
  EXPECT_EQ(r.is_error, false);
  EXPECT_TRUE(r.usage_cumulative);
  AgentReport resumed = Parse(MakeCodexParser(), "codex-exec-resume.jsonl");
  EXPECT_EQ(resumed.agent_session_id, r.agent_session_id);
  EXPECT_EQ(resumed.usage->input_tokens, 21105);  // includes the first run: cumulative
  AgentReport shell = Parse(MakeCodexParser(), "codex-exec-shell-fake-model.jsonl");
  EXPECT_TRUE(shell.agent_session_id);
  EXPECT_EQ(shell.is_error, false);
}

TEST(CodexParser, Errors) {
  AgentReport key = Parse(MakeCodexParser(), "codex-err-wrong-key.jsonl");
  EXPECT_EQ(key.is_error, true);
  EXPECT_EQ(key.error->rfind("unexpected status 401 Unauthorized: Incorrect API key provided (fake)", 0), 0u);
  AgentReport env = Parse(MakeCodexParser(), "codex-err-missing-key-env.jsonl");
  EXPECT_EQ(env.error, "Missing environment variable: `FAKE_OPENAI_KEY`.");
  AgentReport five = Parse(MakeCodexParser(), "codex-err-500.jsonl");
  EXPECT_EQ(five.is_error, true);
  // Server down: Codex retries forever; no failure yet, but the last word is kept for the timeout.
  AgentReport down = Parse(MakeCodexParser(), "codex-err-server-down-timeout120.jsonl");
  EXPECT_FALSE(down.is_error.value_or(false));
  EXPECT_NE(down.error->find("Reconnecting"), std::string::npos);
}

TEST(OpencodeParser, StepsAddUp) {
  AgentReport r = Parse(MakeOpencodeParser(), "opencode-run.jsonl", 5);
  EXPECT_EQ(r.agent_session_id, "ses_dfedc54bdffeX13o4mX8WU0bq8");
  EXPECT_EQ(r.usage->input_tokens, 2445 + 2528);
  EXPECT_EQ(r.usage->output_tokens, 33 + 14);
  EXPECT_EQ(r.num_turns, 1);
  EXPECT_EQ(r.is_error, false);
  EXPECT_FALSE(r.usage_cumulative);
  AgentReport resumed = Parse(MakeOpencodeParser(), "opencode-run-resume.jsonl");
  EXPECT_EQ(resumed.agent_session_id, r.agent_session_id);
  EXPECT_EQ(resumed.usage->input_tokens, 2562);
}

TEST(OpencodeParser, Errors) {
  AgentReport key = Parse(MakeOpencodeParser(), "opencode-err-wrong-key.jsonl");
  EXPECT_EQ(key.is_error, true);
  EXPECT_EQ(key.error, "Incorrect API key provided (fake)");
  AgentReport down = Parse(MakeOpencodeParser(), "opencode-err-server-down.jsonl");
  EXPECT_EQ(down.is_error, true);
  EXPECT_EQ(down.error->rfind("Cannot connect to API", 0), 0u);
}

TEST(GeminiParser, RunResumeAndErrors) {
  AgentReport r = Parse(MakeGeminiParser(), "gemini-stream-json.jsonl", 3);
  EXPECT_EQ(r.agent_session_id, "7da7b70b-a790-48ec-8ca5-edbe35896bb7");
  EXPECT_EQ(r.usage->input_tokens, 25001);
  EXPECT_EQ(r.usage->output_tokens, 99);
  EXPECT_EQ(r.is_error, false);
  AgentReport resumed = Parse(MakeGeminiParser(), "gemini-stream-json-resume.jsonl");
  EXPECT_EQ(resumed.agent_session_id, r.agent_session_id);
  EXPECT_EQ(resumed.usage->input_tokens, 13369);
  AgentReport key = Parse(MakeGeminiParser(), "gemini-err-wrong-key.jsonl");
  EXPECT_EQ(key.is_error, true);
  EXPECT_NE(key.error->find("API key not valid. (fake)"), std::string::npos);
  AgentReport down = Parse(MakeGeminiParser(), "gemini-err-server-down-timeout150.jsonl");
  EXPECT_EQ(down.agent_session_id, "c0fba6d4-249e-443b-913d-f8b9c755490f");
  EXPECT_FALSE(down.is_error.has_value());
}

TEST(CopilotParser, RunResumeAndErrors) {
  AgentReport r = Parse(MakeCopilotParser(), "copilot-output-json.jsonl", 17);
  EXPECT_EQ(r.agent_session_id, "e625ac21-0900-43d9-95d3-461f88ce16e1");
  EXPECT_EQ(r.is_error, false);
  EXPECT_FALSE(r.usage.has_value()) << "Copilot prints no token counts on stdout";
  AgentReport resumed = Parse(MakeCopilotParser(), "copilot-output-json-resume.jsonl");
  EXPECT_EQ(resumed.agent_session_id, r.agent_session_id);
  AgentReport key = Parse(MakeCopilotParser(), "copilot-err-wrong-key.jsonl");
  EXPECT_EQ(key.is_error, true);
  EXPECT_EQ(key.error->rfind("Authentication failed with provider at http://127.0.0.1:8766/v1 (HTTP 401).", 0), 0u);
  AgentReport down = Parse(MakeCopilotParser(), "copilot-err-server-down.jsonl");
  EXPECT_EQ(down.is_error, true);
  EXPECT_EQ(down.error->rfind("Could not connect to local model provider", 0), 0u);
}

// Copilot keeps token counts in <COPILOT_HOME>/session-state/<id>/events.jsonl, one
// session.usage_record per model call of every run of the conversation: summed, cumulative.
TEST(CopilotParser, UsageComesFromTheStateDirAndCoversTheConversation) {
  std::string home = ::testing::TempDir() + "/copilot-home-" + std::to_string(::getpid());
  std::string dir = home + "/session-state/e625ac21-0900-43d9-95d3-461f88ce16e1";
  std::filesystem::create_directories(dir);
  {
    std::ofstream ev(dir + "/events.jsonl");
    ev << R"({"type":"session.start","data":{}})" "\n"
       << R"({"type":"session.usage_record","data":{"usage":{"inputTokens":100,"outputTokens":10,"cacheReadTokens":5,"cacheWriteTokens":0,"reasoningTokens":2,"cost":0.5}}})" "\n"
       << R"({"type":"session.usage_record","data":{"usage":{"inputTokens":200,"outputTokens":20,"cacheReadTokens":0,"cacheWriteTokens":1,"reasoningTokens":0,"cost":0.25}}})" "\n";
  }
  AgentReport r = Parse(MakeCopilotParser(home), "copilot-output-json.jsonl");
  ASSERT_TRUE(r.usage.has_value());
  EXPECT_EQ(r.usage->input_tokens, 300);
  EXPECT_EQ(r.usage->output_tokens, 32);
  EXPECT_EQ(r.usage->cache_read_tokens, 5);
  EXPECT_EQ(r.usage->cache_creation_tokens, 1);
  EXPECT_TRUE(r.usage_cumulative);
  EXPECT_DOUBLE_EQ(*r.cost_usd, 0.75);
  // No state dir for another id: no usage, no error.
  AgentReport other = Parse(MakeCopilotParser(home), "copilot-err-wrong-key.jsonl");
  EXPECT_FALSE(other.usage.has_value());
  std::filesystem::remove_all(home);
}

TEST(Parsers, EveryTranscriptOfEachCliParses) {
  const std::vector<std::pair<std::string, std::function<std::unique_ptr<OutputParser>()>>> clis = {
      {"codex-", MakeCodexParser}, {"opencode-", MakeOpencodeParser}, {"gemini-", MakeGeminiParser},
      {"copilot-", [] { return MakeCopilotParser(); }}};
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ReferenceDir())) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".jsonl" || name.find("requests") != std::string::npos) continue;
    for (const auto& [prefix, make] : clis) {
      if (name.rfind(prefix, 0) != 0) continue;
      AgentReport r = Parse(make(), name, 7);
      ++files;
      EXPECT_TRUE(r.agent_session_id) << name;
      bool error_file = name.find("-err-") != std::string::npos;
      if (!error_file) {
        EXPECT_EQ(r.is_error, false) << name;
      }
      // A run killed by a timeout may end before the CLI said anything (Gemini keeps retrying quietly).
      if (error_file && name.find("timeout") == std::string::npos) {
        EXPECT_TRUE(r.error) << name;
      }
    }
  }
  EXPECT_GE(files, 17);
}


// Issue 11 item 1: one line such as {"type":5} used to throw json type_error.302 out of the parser
// and take the daemon down. Every parser and transcript builder reads each field type-checked, and
// the printer prints whatever items come of it.
TEST(Parsers, LinesWithUnexpectedTypesNeverThrowAndTheRunStillParses) {
  const std::vector<std::string> hostile = {
      R"({"type":5})", R"({"type":null,"subtype":[1]})", R"({"type":"result","is_error":"yes","subtype":7,"usage":[],"num_turns":1e300,"total_cost_usd":"x"})",
      R"({"type":"system","subtype":"init","session_id":5,"model":{}})",
      R"({"type":"assistant","message":{"content":[5,"x",{"type":7},{"type":"tool_use","name":5,"input":3}]}})",
      R"({"type":"assistant","message":"hi"})", R"({"type":"user","message":{"content":[{"type":"tool_result","content":[1,{"type":"text","text":9}]}]}})",
      R"({"type":"thread.started","thread_id":[]})", R"({"type":"item.completed","item":{"type":"file_change","changes":[1,{"kind":2,"path":null}]}})",
      R"({"type":"item.started","item":{"type":"command_execution","command":{},"id":3}})",
      R"({"type":"turn.completed","usage":{"input_tokens":-1e400,"output_tokens":"9"}})", R"({"type":"turn.failed","error":"x"})",
      R"({"type":"error","message":7})", R"({"sessionID":4,"type":"step_finish","part":{"tokens":{"cache":7},"cost":"1","reason":4}})",
      R"({"type":"error","error":{"data":{"message":5},"name":[]}})", R"({"type":"tool_use","part":{"state":[],"tool":1}})",
      R"({"type":"init","session_id":{},"model":1})", R"({"type":"result","status":1,"stats":"x","error":{"message":2}})",
      R"({"type":"message","role":"assistant","content":7,"delta":"y"})", R"({"type":"tool_result","status":1,"output":[]})",
      R"({"type":"session.error","data":{"message":1}})", R"({"type":"tool.execution_start","data":{"toolName":[],"arguments":5}})",
      R"({"type":"tool.execution_complete","data":{"result":3,"success":"no"}})", R"({"type":"result","sessionId":1,"exitCode":"1"})",
      R"({"type":"result","exitCode":1.5e308})", R"({"type":"assistant.message","data":{"content":{}}})",
      R"({"type":"system","subtype":"api_retry","attempt":"1","max_retries":[],"error_status":{},"retry_delay_ms":"x"})",
      R"({"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":4,"content":{"a":1},"is_error":"y"}]}})",
      R"({"type":"item.completed","item":{"type":"mcp_tool_call","server":1,"result":{"content":7},"error":"x"}})",
      R"({"type":"item.updated","item":{"type":"todo_list","items":[1,{"completed":"yes","text":2}]}})",
      R"({"type":"item.completed","item":{"type":"command_execution","exit_code":1e300,"aggregated_output":5,"status":[]}})",
      R"({"type":"step_finish","sessionID":"s","part":{"tokens":{"input":1e300,"output":9.2e18,"cache":{"read":-1e19}},"cost":1e308}})",
      R"({"type":"step_finish","part":{"tokens":{"input":9223372036854775807,"output":9223372036854775807}}})",
      R"({"type":"message","role":7,"content":[1,{"text":2},{"type":"image"}],"delta":true})",
      R"({"type":"assistant.message_delta","data":{"messageId":5,"deltaContent":[]}})",
      R"({"type":"assistant.message","data":{"messageId":{},"content":"x","toolRequests":[1,{"toolCallId":2}]}})",
      R"({"type":"session.info","data":{"infoType":7}})", R"({"type":"result","usage":{"codeChanges":{"filesModified":3}}})",
      R"({"type":"result","exitCode":0,"usage":{"premiumRequests":1e400,"codeChanges":{"filesModified":[1]}}})"};
  std::string text;
  for (const auto& l : hostile) text += l + "\n";
  const std::vector<std::pair<std::string, std::function<std::unique_ptr<OutputParser>()>>> parsers = {
      {"claude", [] { return std::make_unique<ClaudeStreamParser>(); }}, {"codex", MakeCodexParser},
      {"opencode", MakeOpencodeParser}, {"gemini", MakeGeminiParser}, {"copilot", [] { return MakeCopilotParser(); }}};
  for (const auto& [tool, make] : parsers) {
    auto p = make();
    EXPECT_NO_THROW(p->Feed(text)) << tool;
    EXPECT_NO_THROW(p->Finish()) << tool;
    SessionRecord s;
    s.tool = tool;
    s.mode = SessionMode::kAutonomous;
    auto builder = AdapterRegistry().NewTranscriptBuilder(s);
    ASSERT_TRUE(builder) << tool;
    TranscriptPrinter printer;
    for (const auto& l : hostile) {
      std::vector<TranscriptUpdate> updates;
      EXPECT_NO_THROW(updates = builder->Line("stdout", l)) << tool << ": " << l;
      for (const auto& u : updates) {
        json wire;
        // What the API and the WebSocket send of it.
        EXPECT_NO_THROW(wire = u.ToJson()) << tool << ": " << l;
        EXPECT_NO_THROW((void)wire.dump(-1, ' ', false, json::error_handler_t::replace)) << tool << ": " << l;
        EXPECT_NO_THROW(printer.Apply(wire)) << tool << ": " << l;
      }
    }
    // Every hostile line is an item (shown as printed when the builder could not read it) or
    // was one the format does not show: none is lost silently as an exception.
    EXPECT_FALSE(builder->items().empty()) << tool;
  }
  // After the hostile lines, a genuine transcript still yields its facts.
  auto claude = std::make_unique<ClaudeStreamParser>();
  claude->Feed(text);
  std::ifstream in(ReferenceDir() + "/claude-stream-json.jsonl", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  claude->Feed(ss.str());
  claude->Finish();
  EXPECT_TRUE(claude->report().agent_session_id);
  EXPECT_EQ(claude->report().is_error, false);
}

// A line a parser cannot make sense of is reported as a parse_error event of the session rather
// than lost silently (the containment guard around every OnJson).
TEST(Parsers, AParserExceptionBecomesAParseErrorEvent) {
  struct Throwing : JsonLinesParser {
    bool OnJson(const nlohmann::json&) override { throw std::runtime_error("boom"); }
  } p;
  EXPECT_NO_THROW(p.Feed("{\"type\":\"x\"}\nplain text\n"));
  auto events = p.TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "parse_error");
  EXPECT_NE(events[0].data["message"].get<std::string>().find("boom"), std::string::npos);
  EXPECT_EQ(events[0].data["line"], "{\"type\":\"x\"}");
}

}  // namespace
}  // namespace agentmux
