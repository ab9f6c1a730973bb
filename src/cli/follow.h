// Following a session: printing its stored output, then streaming it live over the WebSocket
// until it ends (`run`, `logs -f`, `continue`), the foreground Ctrl-C that stops it, and `attach`
// to its terminal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agents/transcript.h"
#include "net/client.h"

namespace agentmux {

// Prints output chunks: raw bytes, or — for a structured session — its transcript, line by line.
class LogPrinter {
 public:
  explicit LogPrinter(std::unique_ptr<TranscriptRenderer> renderer) : renderer_(std::move(renderer)) {}
  void Print(const std::string& level, const std::string& bytes);
  void Finish();

 private:
  std::unique_ptr<TranscriptRenderer> renderer_;
  std::string partial_;
};

// The transcript renderer for an autonomous agent session (nullptr: print bytes as they are, also
// when `raw`).
std::unique_ptr<TranscriptRenderer> WantsTranscript(const nlohmann::json& session, bool raw);
// Streams session `id`'s output after `since_seq` until it ends; returns the final session JSON.
nlohmann::json Follow(DaemonClient& client, const std::string& id, int64_t since_seq, LogPrinter& printer);
// Prints what is stored (the last `tail` lines when set); returns the last seq printed.
int64_t PrintStoredLogs(DaemonClient& c, const nlohmann::json& session, std::optional<int64_t> tail, bool raw,
                        LogPrinter& printer);
// The first Ctrl-C stops the session; a second one detaches.
void InstallForegroundInterrupt(DaemonClient client, std::string id);
// Joins the session's terminal (raw mode) until it ends or the user detaches; returns an exit code.
int Attach(DaemonClient& client, const nlohmann::json& session);

}  // namespace agentmux
