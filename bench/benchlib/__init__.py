"""agentmux benchmark suite: shared helpers (daemon, HTTP over the unix socket, sampling, stats)."""
