// Runs a short helper command (git) to its end and captures what it prints — from a daemon whose
// loop reaps every child with waitpid(-1) (launcher.h). The command runs as a grandchild: an
// intermediate process waits for it and reports its wait status through a pipe, so no reaper
// elsewhere in the process can take the status away. Blocking: call it off the event loop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace agentmux {

struct CommandResult {
  int exit_code = -1;    // -1 when it died of a signal (or was killed at the timeout)
  bool timed_out = false;
  std::string output;    // stdout and stderr interleaved, at most `max_output` bytes (the rest is read and dropped)
};

// Runs `argv` (argv[0] looked up in PATH) in `cwd` with this process's environment plus
// `extra_env` ("NAME=value"), stdin from /dev/null, in its own process group; after `timeout_ms`
// the group gets SIGKILL. Errors: kInternal when the processes or pipes cannot be made;
// kUnavailable "binary_not_found" when argv[0] is not in PATH. Thread-safe.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                                 const std::vector<std::string>& extra_env, int64_t timeout_ms,
                                 size_t max_output = 1 << 20);

}  // namespace agentmux
