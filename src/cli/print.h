// Human-readable output of `view` and `ls`.
#pragma once

#include <nlohmann/json.hpp>

namespace agentmux {

void PrintSession(const nlohmann::json& s);
// Newest first; a plan's tasks listed under it (by task, then attempt).
void PrintList(const nlohmann::json& sessions);
// A plan: its fields, then its tasks with status, attempts, verify results, tokens, cost, duration.
void PrintPlan(const nlohmann::json& plan, const nlohmann::json& children);

}  // namespace agentmux
