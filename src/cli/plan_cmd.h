// `agentmux plan run` and what `run --until` shares with it: making a plan (a file, --task/--spec
// flags) and following it in the foreground — each task's output under a header `task 2/5`.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "net/client.h"

namespace agentmux {

void AddPlanCommands(CLI::App& app, Globals& g);

// `logs PLAN`: each task's stored output (or transcript) under its header, in order.
void PrintPlanLogs(DaemonClient& client, const nlohmann::json& plan, bool raw);
// `attach PLAN`: the plan's running task. Fails (exit 1) when none runs.
nlohmann::json RunningTask(DaemonClient& client, const nlohmann::json& plan);

// Streams plan `plan`'s tasks as they run, then prints a summary to stderr (a terminal) and
// returns the exit code: 0 completed, 1 failed, 130 cancelled, 3 interrupted. `started`: this
// command started the plan (`plan run`): Ctrl-C stops it; else (`logs -f`) Ctrl-C just leaves.
int FollowPlan(DaemonClient& client, const nlohmann::json& plan, bool json_out, bool started = true);

}  // namespace agentmux
