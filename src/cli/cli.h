// The `agentmux` command line: `agentmux daemon` runs the daemon; every other command is a client
// of it over $AGENTMUX_HOME/daemon.sock, starting the daemon once when none runs (lock, retry,
// spawn — as tmux and watchman do). Errors go to stderr with a non-zero exit code:
//   1 error reported by the daemon or bad usage, 2 usage error (CLI11), 3 daemon unreachable,
//   `run` and `logs -f` exit with the session's exit code (128+N for a signal, like a shell).
#pragma once

namespace agentmux {

int RunCli(int argc, char** argv);

}  // namespace agentmux
