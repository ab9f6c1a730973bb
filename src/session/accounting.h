// Usage accounting: what an agent's report means for a session's own tokens and cost and for its
// conversation's running totals. Pure functions (no I/O), thread-safe.
//
// The CLIs differ (shared/reference/agents/REPORT.md "Points that matter"): some report what this
// run used, others the whole conversation so far, earlier runs (resumes) included. A cumulative
// figure is turned into this run's share by subtracting what the conversation had before the run,
// so nothing is counted twice; the session's own total is what it had before (a resumed
// interrupted session) plus this run's share.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "model/session.h"

namespace agentmux {

// Totals before a run starts.
struct UsageBase {
  Usage own;                  // the session's own usage so far
  Usage conversation;         // the conversation's so far (for a continue: the parent's totals)
  double own_cost = 0;        // USD
  double conversation_cost = 0;
};

// The base for a run of `session`. `parent`: the session it continues (metadata
// resume_conversation with a parent), when the session itself has no conversation totals yet.
UsageBase BaseForRun(const SessionRecord& session, const SessionRecord* parent);

// The session's totals after `report`: usage, conversation_usage, cost_usd, conversation_cost_usd
// of `into` are set where the report has figures. Returns true when the session's own token total
// or cost changed (a `usage` event is due).
bool ApplyUsage(const AgentReport& report, const UsageBase& base, SessionRecord& into);

// The payload of a `usage` event: the session's own figures, the conversation's, how the CLI
// reported them.
nlohmann::json UsagePayload(const SessionRecord& session, const AgentReport& report);

}  // namespace agentmux
