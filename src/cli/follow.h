// Following a session: printing its stored output, then streaming it live over the WebSocket
// until it ends (`run`, `logs -f`, `continue`), the foreground Ctrl-C that stops it, and `attach`
// to its terminal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/transcript_text.h"
#include "net/client.h"

namespace agentmux {

// Prints a session's output: its log's bytes as they are, or — for a session with a transcript
// (the daemon's items, agents/transcript_text.h) — the transcript.
class LogPrinter {
 public:
  explicit LogPrinter(bool transcript) {
    if (transcript) transcript_.emplace();
  }
  bool transcript() const { return transcript_.has_value(); }
  // Raw mode: a chunk of the log.
  void Print(const std::string& level, const std::string& bytes);
  // Transcript mode: one update {"index","item"}.
  void Update(const nlohmann::json& update);
  void Finish();
  // While capturing, transcript text is kept (stdout's and stderr's alike) instead of printed;
  // EndCapture() prints the last `lines` lines of it.
  void Capture() { capture_ = ""; }
  void EndCapture(int64_t lines);

 private:
  std::optional<TranscriptPrinter> transcript_;
  std::optional<std::string> capture_;
};

// Whether to print `session` as a transcript: it has one (the daemon says so) and `raw` is off.
bool WantsTranscript(const nlohmann::json& session, bool raw);
// Streams session `id`'s output after `since_seq` (its log, or its transcript updates) until it
// ends; returns the final session JSON.
nlohmann::json Follow(DaemonClient& client, const std::string& id, int64_t since_seq, LogPrinter& printer);
// Prints what is stored (the last `tail` lines when set) — the log, or the transcript as
// GET …/transcript serves it; returns the last log seq it covers.
int64_t PrintStoredLogs(DaemonClient& c, const nlohmann::json& session, std::optional<int64_t> tail,
                        LogPrinter& printer);
// `logs --json`: the transcript items (the last `tail` when ≥ 0) or every chunk ({seq, level,
// data (base64), …} as GET …/logs gives them), as one JSON document on stdout.
void PrintLogsJson(DaemonClient& c, const nlohmann::json& session, bool raw, int64_t tail);
// The first Ctrl-C stops the session; a second one detaches.
void InstallForegroundInterrupt(DaemonClient client, std::string id);
// Joins the session's terminal (raw mode) until it ends or the user detaches; returns an exit code.
int Attach(DaemonClient& client, const nlohmann::json& session);

}  // namespace agentmux
