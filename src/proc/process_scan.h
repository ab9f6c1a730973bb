// Finding a session's processes by their environment: every process agentmux starts carries
// AGENTMUX_SESSION_ID=<session id>, and so do its descendants — including those that left the
// session's process group with setsid (the Codex TUI's app-server daemon, `setsid cmd &`). These
// scans read /proc/<pid>/environ of every process (readable for our own user's processes only), so
// they take milliseconds with hundreds of processes: call them off the event loop.
// Thread-safe (no shared state).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace agentmux {

// The AGENTMUX_SESSION_ID in /proc/<pid>/environ, or "" (no such process, not ours, not a session's).
std::string SessionOfProcess(int pid);

// True when process `pid` belongs to session `id` (its environment says so).
bool ProcessBelongsTo(int pid, const std::string& id);

// SIGKILLs every process (but the caller) whose AGENTMUX_SESSION_ID is one of `ids`. Scans /proc
// again while a pass killed something or met a process caught inside execve (its environment reads
// empty for that moment), pausing 1, 2, 4 ... ms between passes (at most 7 passes, ~63 ms asleep),
// so children forked during a pass and processes between two images are not missed. Blocks: call
// it off the event loop. Returns the pids killed per session id.
std::map<std::string, std::vector<int>> KillProcessesOf(const std::set<std::string>& ids);

}  // namespace agentmux
