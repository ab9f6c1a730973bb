#include "cli/cli.h"

int main(int argc, char** argv) { return agentmux::RunCli(argc, argv); }
