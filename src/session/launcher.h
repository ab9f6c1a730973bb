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
};

// Children of this process, reaped with waitpid(-1) on SIGCHLD. `io` must outlive the result.
std::unique_ptr<ProcessLauncher> MakeChildLauncher(boost::asio::io_context& io);

}  // namespace agentmux
