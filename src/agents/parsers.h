// The output parsers of the agent CLIs (each defined in its CLI's file: codex.cc, opencode.cc,
// gemini.cc, copilot.cc; Claude Code's in claude.h), checked against the transcripts of the genuine
// binaries in tests/fixtures/transcripts (shared/reference/agents/REPORT.md §2–6).
//
//   claude   `-p --output-format stream-json --verbose` (claude_stream.h)
//   codex    `exec --json`: thread.started{thread_id}, turn.completed{usage}, turn.failed{error},
//            error{message}; usage is cumulative over the thread (a resume includes earlier runs)
//   opencode `run --format json`: every event has sessionID; step_finish{part.tokens, part.cost}
//            per step (summed here); error{error.data.message}
//   gemini   `-p … -o stream-json`: init{session_id}, result{status, stats, error}
//   copilot  `--output-format json`: result{sessionId, exitCode}, session.error{data.message};
//            no token counts on stdout: at the end they are summed from the CLI's state dir,
//            <copilot_home>/session-state/<sessionId>/events.jsonl, session.usage_record lines
//            (all runs of the conversation, so cumulative)
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "agents/json_lines.h"

namespace agentmux {

std::unique_ptr<OutputParser> MakeCodexParser();
std::unique_ptr<OutputParser> MakeOpencodeParser();
std::unique_ptr<OutputParser> MakeGeminiParser();
// `copilot_home`: $COPILOT_HOME or ~/.copilot of the process; "" = do not read usage.
std::unique_ptr<OutputParser> MakeCopilotParser(std::string copilot_home = "");

}  // namespace agentmux
