// The commands of issue 15 (checkpoints, restore, diff, merge, discard): docs in changes_cmd.cc.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace agentmux {

void AddChangesCommands(CLI::App& app, Globals& g);

}  // namespace agentmux
