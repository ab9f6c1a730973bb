// Spawning agent processes: under a fresh PTY (the agent's controlling terminal) or with pipes for
// stdin/stdout/stderr. Either way the child is the leader of its own session and process group
// (pgid == pid), so pause/stop can signal the whole group, grandchildren included.
//
// Spawn() builds argv/env before fork; the child only makes async-signal-safe calls: it resets
// every signal disposition and the signal mask, makes the PTY its controlling terminal, chdirs,
// closes every fd ≥ 3 and execs. An exec failure travels back through a CLOEXEC pipe, so a
// missing or non-executable binary is an error of Spawn() rather than a session that "exits 127".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace agentmux {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is a path or a name looked up in PATH of `env`
  std::vector<std::string> env;   // "KEY=VALUE" entries, the child's whole environment
  std::string cwd;                // must exist
  bool use_pty = true;            // false: stdin/stdout/stderr pipes
  unsigned short cols = 120;      // initial PTY size
  unsigned short rows = 40;
};

struct SpawnedProcess {
  pid_t pid = -1;        // also the process group id
  UniqueFd pty_master;   // use_pty: read output / write input here (O_CLOEXEC, non-blocking)
  UniqueFd stdin_fd;     // pipes: write end of the child's stdin
  UniqueFd stdout_fd;    // pipes: read ends
  UniqueFd stderr_fd;
};

// Starts the process. Errors: kUnavailable "binary_not_found" when argv[0] cannot be found or
// executed (message names it), kInvalidArgument for a missing cwd, kInternal for syscall failures.
Result<SpawnedProcess> Spawn(const SpawnOptions& options);

// In a forked child, before exec: every signal disposition back to its default (the daemon ignores
// SIGPIPE and SIGHUP) and an empty signal mask. Async-signal-safe.
void ResetSignalsInChild();

// The value of `key` in "KEY=VALUE" entries (a child's environment), or "" when absent.
std::string EnvEntryValue(const std::vector<std::string>& env, const std::string& key);

// The absolute path of `name` (searched in `path_env`, a PATH value, when it has no '/'), or
// nullopt if no executable file is found.
std::optional<std::string> FindExecutable(const std::string& name, const std::string& path_env);

// How a process ended, decoded from a waitpid status.
struct ExitStatus {
  std::optional<int> exit_code;  // WIFEXITED
  std::optional<int> signal;     // WIFSIGNALED
};
ExitStatus DecodeWaitStatus(int status);

// "SIGTERM" for 15 etc. ("SIG42" for unnamed ones).
std::string SignalName(int sig);

// Sets the PTY window size (TIOCSWINSZ); the kernel sends SIGWINCH to the foreground group.
Status SetWindowSize(int pty_fd, unsigned short cols, unsigned short rows);

}  // namespace agentmux
