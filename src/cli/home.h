// The data directory (DESIGN §2): --home DIR, else $AGENTMUX_HOME, else $XDG_DATA_HOME/agentmux,
// else ~/.local/share/agentmux. Holds agentmux.db, daemon.sock (0600), daemon.lock, daemon.json,
// daemon.log.
#pragma once

#include <string>

#include "base/result.h"

namespace agentmux {

struct Home {
  std::string dir;
  std::string db() const { return dir + "/agentmux.db"; }
  std::string socket() const { return dir + "/daemon.sock"; }
  std::string lock() const { return dir + "/daemon.lock"; }
  std::string info() const { return dir + "/daemon.json"; }
  std::string log() const { return dir + "/daemon.log"; }
};

// Resolves (and creates, mode 0700) the data dir. `flag` is --home ("" when not given).
// Errors: kInternal when the directory cannot be created; kInvalidArgument when the socket path
// would exceed the 107-byte limit of unix socket addresses.
Result<Home> ResolveHome(const std::string& flag);

// Runs the daemon in the foreground until SIGTERM/SIGINT. Returns the process exit code.
int RunDaemon(const Home& home);

}  // namespace agentmux
