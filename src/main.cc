#include <cstring>

#include "cli/cli.h"
#include "proc/shim.h"

int main(int argc, char** argv) {
  // `agentmux shim` is started by the daemon only (proc/shim.h): no CLI parsing, no logging set-up.
  if (argc >= 2 && std::strcmp(argv[1], "shim") == 0) return agentmux::RunShim();
  return agentmux::RunCli(argc, argv);
}
