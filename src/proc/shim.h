// The per-session shim (containerd-shim, conmon): a tiny process — the agentmux binary run as
// `agentmux shim` — that starts one agent and is its parent for the agent's whole life, so the
// agent outlives the daemon (an upgrade, a restart, a crash).
//
// The shim: spawns the agent (proc/process.h Spawn: own session and process group, under a PTY or
// with pipes); is a child subreaper, so it reaps the agent and every descendant that escapes it
// (setsid) — no zombie is left to init; keeps the PTY master or the stdout/stderr read ends open,
// so while no daemon is connected the agent's output waits in the kernel's buffer and the agent
// blocks on write (paused, not killed, no byte dropped); hands its fds to each daemon that
// connects, with SCM_RIGHTS, so the daemon reads the agent directly (no copy through the shim);
// keeps the agent's exit status until a daemon has recorded it ("release"), then exits. It has a
// process group of its own apart from the agent's, ignores SIGHUP/SIGINT/SIGPIPE, and sleeps in
// poll(2) with no timeout while nothing happens (0 % CPU). No SQLite, no HTTP.
//
// Protocol (version 1): JSON objects, one per SOCK_SEQPACKET message, fds attached as SCM_RIGHTS.
//   daemon → shim, first message on the socketpair the shim was started with (fd 3):
//     {"type":"spawn","version":1,"session_id":ID,"token":T,"socket":PATH,"argv":[..],"env":["K=V",..],
//      "cwd":DIR,"pty":bool,"cols":N,"rows":N}
//   shim → daemon: {"type":"spawned","version":1,"pid":N,"pty":bool}  + fds [pty master] or
//                  [stdin write end, stdout read end, stderr read end]  (stdin only here: the shim
//                  keeps no copy, so the daemon's close is the agent's EOF)
//              or  {"type":"error","code":C,"message":M}  (e.g. binary_not_found; the shim exits)
//   daemon → shim on PATH (a unix socket, 0600, listening once the agent runs):
//     {"type":"hello","version":1,"token":T}
//   shim → daemon: {"type":"attached","version":1,"session_id":ID,"pid":N,"pty":bool,
//                   "exit_status":W|null}  + fds [pty master] or [stdout, stderr]
//              or  {"type":"error","code":"bad_token"|"bad_version","message":M}
//   shim → daemon, once the agent is reaped: {"type":"exit","status":W}   (W: a waitpid status)
//   daemon → shim: {"type":"release"} — the end is recorded: the shim exits (after reaping what is
//                  left of the agent's descendants, for at most 2 s).
// A newer daemon speaks version 1 to a shim that says version 1; fields it does not know are ignored.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "base/unique_fd.h"

namespace agentmux {

constexpr int kShimProtocolVersion = 1;
// The fd the shim finds its first connection (a socketpair end) on.
constexpr int kShimControlFd = 3;

// Sends `message` (at most 64 KiB of JSON text… larger spawn requests are allowed up to 1 MiB)
// with `fds` attached. Blocking; EINTR retried. Errors: the socket's (SysError).
Status ShimSend(int socket, const nlohmann::json& message, const std::vector<int>& fds = {});

// One message and the fds attached to it (owned by the caller). Blocking unless the socket is
// non-blocking (then kUnavailable "would_block" when nothing waits). Errors: "closed" (the peer
// went away), "bad_message" (not a JSON object), syscall errors.
struct ShimMessage {
  nlohmann::json body;
  std::vector<UniqueFd> fds;
};
Result<ShimMessage> ShimReceive(int socket);

// The shim's main: reads the spawn request on kShimControlFd and runs until the agent's end is
// released. Returns the process exit code (0; 1 when the request was bad or the agent could not be
// started).
int RunShim();

}  // namespace agentmux
