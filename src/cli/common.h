// What every `agentmux` command shares: reaching the daemon (starting it once when none runs),
// calling the API, failing with a message and an exit code, and small formatting helpers.
// Not thread-safe (a CLI process runs commands on its main thread).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "model/session.h"  // ShortId
#include "net/client.h"

namespace agentmux {

// Exit codes (cli.h): 1 an error the daemon reported or bad usage, 3 the daemon is unreachable.
inline constexpr int kExitError = 1;
inline constexpr int kExitUnreachable = 3;

struct Globals {
  std::string home_flag;  // --home
  bool json_out = false;  // --json
};

// A failure to print and the exit code that goes with it (caught in RunCli).
struct CliError {
  std::string message;
  int code = kExitError;
};
[[noreturn]] inline void Fail(const std::string& message, int code = kExitError) { throw CliError{message, code}; }

// A client of the daemon of `g.home_flag`'s data dir, starting the daemon once when none runs
// (daemon.lock serialises starters). Fails with kExitUnreachable, saying why in the daemon's words.
DaemonClient Connect(const Globals& g);
// METHOD target (+ JSON body) → the response's JSON; fails with the API's error message.
nlohmann::json Call(DaemonClient& c, const std::string& method, const std::string& target,
                    const nlohmann::json& body = nullptr);

std::string Escape(const std::string& s);  // percent-encoding for a path segment or query value
std::string Str(const nlohmann::json& j, const char* key, const std::string& dflt = "");
std::string HumanDuration(int64_t ms);     // "1h 2m", "3.4s"
std::string Ago(const std::string& rfc3339);  // "5m ago"
std::string Excerpt(std::string s, size_t max);
bool IsTerminalStatus(const std::string& s);
// "brave-otter (8c3f9a2c)": how messages name a session (the short id alone for nameless old rows).
std::string Label(const nlohmann::json& s);
// Someone looked at `s`: clears its attention (POST …/ack) when it has one; errors are ignored.
void Acknowledge(DaemonClient& c, const nlohmann::json& s);
// After POST …/stop: polls until the session has ended, showing the SIGKILL countdown on a
// terminal's stderr; returns the last session JSON (at most grace + 5 s).
nlohmann::json WaitStopped(DaemonClient& c, nlohmann::json s, int64_t grace_ms);
// A session's exit code as a shell gives it: its own, 128+N for a signal, 1 for other failures.
int SessionExitCode(const nlohmann::json& s);
// Writes raw bytes to `f` and flushes.
void WriteOut(FILE* f, const std::string& bytes);

}  // namespace agentmux
