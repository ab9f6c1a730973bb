// How the session engine starts, signals and learns the end of agent processes (ninja's
// CommandRunner). The daemon's ChildLauncher forks them as its own children (proc/process.h) and
// reaps them on SIGCHLD; tests hand the engine a fake whose "processes" are pipes they hold, so the
// engine's decisions (stop ladder, --timeout, finish) are checked without real processes or sleeps.
//
// Threading: loop thread only. Exits are reported on the loop thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "proc/process.h"

namespace boost::asio {
class io_context;
}

namespace agentmux {

class ProcessLauncher {
 public:
  // A spawned process ended: its pid and waitpid(2) status.
  using ExitHandler = std::function<void(pid_t pid, int wait_status)>;
  virtual ~ProcessLauncher() = default;
  // Starts a process as the leader of its own session and process group (pgid == pid). Errors as
  // proc/process.h Spawn(): binary_not_found, a missing cwd, syscall failures.
  virtual Result<SpawnedProcess> Spawn(const SpawnOptions& options) = 0;
  // `sig` to every process of group `pgid` (kill(-pgid, sig)); a group that is gone is no error.
  virtual void SignalGroup(pid_t pgid, int sig) = 0;
  // Starts reporting ends of spawned processes to `on_exit` (call once, before the first Spawn).
  // Exits of processes the engine does not know (orphans reparented to a subreaper daemon) may be
  // reported too; the handler ignores them.
  virtual void Watch(ExitHandler on_exit) = 0;

  // The end of the process `pid` is recorded: whatever holds it may let go (its shim exits).
  virtual void Release(pid_t pid) {}

  // A process that an earlier daemon started and something still holds (its shim, shim.h): its
  // fds (the PTY master, or stdout and stderr; never stdin) and, when it ended meanwhile, its
  // waitpid status. Its end is reported to the ExitHandler like any other.
  struct Reattached {
    SpawnedProcess process;
    std::optional<int> exit_status;
  };
  // Errors: kNotFound "no_shim" (nothing holds a process of `session_id`: it is gone), kUnavailable
  // "shim_unreachable" (a shim answered wrongly or not in 2 s).
  virtual Result<Reattached> Reattach(const std::string& session_id) {
    return Error::NotFound("no_shim", "this launcher cannot reattach processes");
  }
  // Session ids of processes held for an earlier daemon (shims still running), reattached or not.
  virtual std::vector<std::string> Held() { return {}; }
  // A planned restart: lets every process run on without this daemon — nothing is signalled,
  // the holders keep the fds and the exit statuses for the next daemon.
  virtual void DetachAll() {}
};

// Children of this process, reaped with waitpid(-1) on SIGCHLD. `io` must outlive the result.
std::unique_ptr<ProcessLauncher> MakeChildLauncher(boost::asio::io_context& io);

// Each process started by a shim of its own (proc/shim.h: `agentmux shim`, the binary at
// /proc/self/exe) so it outlives this daemon; the shims' sockets and tokens live in `shim_dir`
// (created 0700): <session id>.sock and <session id>.token. Children of this process (the shims,
// agents whose shim died) are reaped on SIGCHLD as by MakeChildLauncher.
std::unique_ptr<ProcessLauncher> MakeShimLauncher(boost::asio::io_context& io, const std::string& shim_dir);

}  // namespace agentmux
