// Fuzz target: every agent output parser and every transcript builder (untrusted agent stdout).
//
//   parsers    MakeCodexParser, MakeOpencodeParser, MakeGeminiParser, MakeCopilotParser (with a
//              Copilot home whose session-state holds usage records, so Finish() reads them) and
//              ClaudeStreamParser (src/agents/parsers.h, claude.h)
//   builders   each CLI adapter's NewTranscriptBuilder() for claude, codex, opencode, gemini,
//              copilot (src/agents/transcript.h), fed through a TranscriptFeed, every update
//              encoded as the API sends it and printed by the CLI's TranscriptPrinter
//
// Input: byte 0 selects the pair — parser = b % 5, builder = (b / 5) % 5 in the order claude,
// codex, opencode, gemini, copilot, so b = 50 + 6·i ('2', '8', '>', 'D', 'J') pairs tool i with
// itself (the seed corpus, made from tests/fixtures/transcripts by fuzz/make-seeds, uses those) and
// other values feed one CLI's output to another's builder. The rest is stdout, fed to the parser
// and the builder in pieces cut where the data says (fuzz_util.h); after each Feed() the events
// are taken and inspected; then Finish(), the report, and the builder's Finish().
// Crashes, sanitizer reports, uncaught exceptions and updates that do not rebuild the items are
// findings.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/claude.h"
#include "agents/parsers.h"
#include "agents/adapter.h"
#include "agents/transcript.h"
#include "agents/transcript_text.h"
#include "fuzz_util.h"

namespace {

using agentmux_fuzz::Fail;

constexpr const char* kTools[] = {"claude", "codex", "opencode", "gemini", "copilot"};

// A Copilot home with usage records for the conversation id of the recorded transcripts
// (tests/fixtures/transcripts/copilot-output-json*.jsonl), so the parser's Finish() sums them.
const std::string& CopilotHome() {
  static agentmux_fuzz::TempDir dir("copilot");
  static const bool written = [] {
    agentmux_fuzz::WriteFile(
        dir.path() + "/session-state/e625ac21-0900-43d9-95d3-461f88ce16e1/events.jsonl",
        R"({"type":"session.start","data":{}})" "\n"
        R"({"type":"session.usage_record","data":{"usage":{"inputTokens":100,"outputTokens":10,"cacheReadTokens":5,"cacheWriteTokens":0,"reasoningTokens":2,"cost":0.5}}})" "\n"
        R"({"type":"session.usage_record","data":{"usage":{"inputTokens":"x","outputTokens":1e300,"cost":null}}})" "\n"
        R"(not json session.usage_record)" "\n");
    return true;
  }();
  (void)written;
  return dir.path();
}

std::unique_ptr<agentmux::OutputParser> MakeParser(int i) {
  switch (i) {
    case 0: return std::make_unique<agentmux::ClaudeStreamParser>();
    case 1: return agentmux::MakeCodexParser();
    case 2: return agentmux::MakeOpencodeParser();
    case 3: return agentmux::MakeGeminiParser();
    default: return agentmux::MakeCopilotParser(CopilotHome());
  }
}

void Inspect(agentmux::OutputParser& parser) {
  for (const auto& ev : parser.TakeEvents()) {
    if (ev.type.empty()) Fail("an event without a type");
    // What the store and the WebSocket do with an event's data.
    std::string text = ev.data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.empty()) Fail("an event whose data dumps to nothing");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int parser_index = data[0] % 5, builder_index = (data[0] / 5) % 5;
  std::string_view out(reinterpret_cast<const char*>(data + 1), size - 1);

  auto parser = MakeParser(parser_index);
  for (std::string_view piece : agentmux_fuzz::Pieces(out)) {
    parser->Feed(piece);
    Inspect(*parser);
  }
  parser->Finish();
  Inspect(*parser);
  const agentmux::AgentReport& r = parser->report();
  volatile size_t sink = 0;
  if (r.agent_session_id) sink = sink + r.agent_session_id->size();
  if (r.usage) sink = sink + static_cast<size_t>(r.usage->input_tokens);
  if (r.cost_usd) sink = sink + static_cast<size_t>(*r.cost_usd > 0);
  if (r.error) sink = sink + r.error->size();
  if (r.model) sink = sink + r.model->size();
  if (r.agent_version) sink = sink + agentmux::ClaudeCostIsCumulative(*r.agent_version);

  static const agentmux::AdapterRegistry registry;
  agentmux::SessionRecord session;
  session.tool = kTools[builder_index];
  session.mode = agentmux::SessionMode::kAutonomous;
  auto builder = registry.NewTranscriptBuilder(session);
  if (!builder) Fail("no transcript builder for", kTools[builder_index]);
  agentmux::TranscriptFeed feed(std::move(builder));
  agentmux::TranscriptPrinter printer;
  nlohmann::json applied = nlohmann::json::array();
  auto apply = [&](const std::vector<agentmux::TranscriptUpdate>& updates) {
    for (const auto& u : updates) {
      nlohmann::json wire = u.ToJson();  // as GET …/transcript and the WebSocket send it
      sink = sink + wire.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
      if (u.index > applied.size()) Fail("an update beyond the end of the items");
      if (u.index == applied.size()) applied.push_back(wire["item"]);
      else applied[u.index] = wire["item"];
      agentmux::PrintedText text = printer.Apply(wire);
      sink = sink + text.out.size() + text.err.size();
    }
  };
  for (std::string_view piece : agentmux_fuzz::Pieces(out)) apply(feed.Chunk("stdout", piece));
  apply(feed.Finish());
  sink = sink + printer.Finish().size();
  if (applied != agentmux::ToJson(feed.items())) Fail("the updates do not rebuild the items");
  (void)sink;
  return 0;
}
