// What an ended agent session said, read back from its stored log: for a plan's next task, an
// orchestration's synthesis (orchestration.h) and the MCP tools (src/mcp).
//
// Threading: loop thread (they read through the SessionManager).
#pragma once

#include <cstddef>
#include <string>

#include "session/manager.h"

namespace agentmux {

// The agent's final answer in `session`'s run: the last result's text, else its last assistant
// message (transcript items, agents/transcript.h), at most 4 KiB (then "…"); "" for a session
// without structured output (a terminal stream, the shell tool).
std::string FinalAnswer(SessionManager& manager, const SessionRecord& session);

// The last `lines` lines `session` printed, ANSI escapes removed, at most 16 KiB.
std::string OutputTail(SessionManager& manager, const SessionRecord& session, size_t lines);

}  // namespace agentmux
