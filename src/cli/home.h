// The data directory (DESIGN §2): --home DIR, else $AGENTMUX_HOME, else $XDG_DATA_HOME/agentmux,
// else ~/.local/share/agentmux. Holds agentmux.db, daemon.sock (0600), daemon.lock, daemon.json
// ({pid, socket, port, version}), daemon.log, token (0600).
#pragma once

#include <string>

#include "base/result.h"

namespace agentmux {

struct Home {
  std::string dir;
  std::string db() const { return dir + "/agentmux.db"; }
  std::string socket() const { return dir + "/daemon.sock"; }
  std::string lock() const { return dir + "/daemon.lock"; }     // held by a client while it starts the daemon
  std::string pid_lock() const { return dir + "/daemon.pid"; }  // held by the running daemon
  std::string info() const { return dir + "/daemon.json"; }
  std::string shims() const { return dir + "/shims"; }  // sessions' shim sockets and tokens (0700)
  std::string log() const { return dir + "/daemon.log"; }
  std::string token() const { return dir + "/token"; }
  std::string config() const { return dir + "/config.json"; }  // the daemon's settings (optional)
};

struct DaemonOptions {
  std::string listen = "127.0.0.1:7171";  // HOST:PORT for HTTP/WebSocket over TCP; "" or "off" = none
  bool listen_given = false;
  std::string web_dir;  // built web UI to serve at / ("" = none)  // false: the default port may fall back to any free port when taken
  // What SIGTERM/SIGINT do to running sessions: "keep" (the default: the agents run on in their
  // shims; the next daemon reattaches them) or "stop" (each is stopped and marked interrupted).
  // --shutdown-sessions, or $AGENTMUX_SHUTDOWN_SESSIONS.
  std::string shutdown_sessions = "keep";
};

// The API token in <home>/token (0600), created with 32 random bytes (hex) when absent.
Result<std::string> LoadOrCreateToken(const Home& home);

// Resolves (and creates, mode 0700) the data dir. `flag` is --home ("" when not given).
// Errors: kInternal when the directory cannot be created; kInvalidArgument when the socket path
// would exceed the 107-byte limit of unix socket addresses.
Result<Home> ResolveHome(const std::string& flag);

// Runs the daemon in the foreground until SIGTERM/SIGINT. Returns the process exit code.
int RunDaemon(const Home& home, const DaemonOptions& options);

// A planned restart's first half: SIGUSR1 to the daemon of `home` (it commits what it read and
// exits, its agents run on in their shims), then waits until it is gone (at most 30 s). OK when no
// daemon runs. Errors: kUnavailable "daemon_did_not_stop".
Status StopDaemonKeepingSessions(const Home& home);

}  // namespace agentmux
