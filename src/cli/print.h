// Human-readable output of `view` and `ls`.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

namespace agentmux {

void PrintSession(const nlohmann::json& s);
// A plan's children in task order, each task's tries in the order they were made (ids are UUIDv7).
std::vector<nlohmann::json> InTaskOrder(const nlohmann::json& children);
// Newest first; a plan's tasks listed under it (by task, then attempt).
void PrintList(const nlohmann::json& sessions);
// A plan: its fields, then its tasks with status, attempts, verify results, tokens, cost, duration.
void PrintPlan(const nlohmann::json& plan, const nlohmann::json& children);

}  // namespace agentmux
