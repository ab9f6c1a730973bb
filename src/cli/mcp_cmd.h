// `agentmux mcp` (MCP over stdio, relayed to the daemon's /mcp) and `agentmux workspace`.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace agentmux {

void AddMcpCommands(CLI::App& app, Globals& g);

}  // namespace agentmux
