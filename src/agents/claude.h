// Parser for Claude Code's `--output-format stream-json --verbose` output: one JSON object per
// line (see shared/reference/agents/REPORT.md §2 and the claude-*.jsonl transcripts there).
//   {"type":"system","subtype":"init","session_id",…,"model","claude_code_version"} → conversation id
//   {"type":"assistant","message":{…content:[one block]}}  (text / tool_use)
//   {"type":"user","message":{…content:[tool_result]}}
//   {"type":"result","subtype","is_error","result","num_turns","total_cost_usd","usage":{…},"errors"?}
// A result with "is_error": true is a failed run even when its subtype says "success" (API errors).
// Lines that are not JSON (a CLI warning) are ignored.
#pragma once

#include <string>
#include <string_view>

#include "agents/adapter.h"
#include "agents/parsers.h"
#include "agents/transcript.h"

namespace agentmux {

// Cost semantics: from 2.1.330 on, `total_cost_usd` covers the whole conversation (earlier runs
// included) while `usage` covers this invocation; 2.1.197 reported both per invocation.
class ClaudeStreamParser : public JsonLinesParser {
 protected:
  bool OnJson(const nlohmann::json& line) override;
};

// True when Claude Code `version` ("2.1.330") reports cumulative conversation cost.
bool ClaudeCostIsCumulative(const std::string& version);

// The transcript items of stream-json (transcript.h): init, text, thinking, tool_use, tool_result
// (content blocks of assistant and user messages), API retries and other system lines, result.
std::unique_ptr<TranscriptBuilder> MakeClaudeTranscriptBuilder();

}  // namespace agentmux
