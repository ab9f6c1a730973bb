// A session's transcript as the API serves it (docs/api.md "Transcript"): its log, in seq order
// from seq 1, through its CLI's builder (agents/transcript.h), for GET …/transcript and for
// WebSocket subscriptions with "transcript": true. No Beast types; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/transcript.h"
#include "store/store.h"

namespace agentmux {

// One WebSocket subscription's transcript. It is fed every chunk of the session in seq order from
// seq 1; those the client had (seq ≤ its since_seq) silently. For each chunk it may give a
// `transcript` message,
//   {"type":"transcript","session_id","seq","updates":[{"index","item"}, …]}
// which the caller sends before the chunk's `log` message. When the session has ended (Status())
// and its last chunk is fed, what is left of its last lines is read too, in that chunk's message
// (or in one of its own, sent before the terminal status message): a client that has the log
// message of the final log_seq has the whole transcript. Updates may repeat ones the client
// applied already (after a resubscribe); applying them again changes nothing.
class TranscriptStream {
 public:
  TranscriptStream(std::string session_id, std::unique_ptr<TranscriptBuilder> builder)
      : session_id_(std::move(session_id)), feed_(std::move(builder)) {}

  // The next chunk (seq = fed_seq() + 1). Returns the message to send before its log message, or
  // nullptr when there is none (no update, or `silent`).
  std::shared_ptr<const std::string> Chunk(const LogChunk& chunk, bool silent);
  // The session's status: `terminal` with its final `log_seq`, or running again (a resumed
  // session's log goes on). Returns a message to send before the status message, or nullptr.
  std::shared_ptr<const std::string> Status(bool terminal, int64_t log_seq);
  int64_t fed_seq() const { return fed_seq_; }

 private:
  std::shared_ptr<const std::string> Message(int64_t seq, const std::vector<TranscriptUpdate>& updates) const;

  std::string session_id_;
  TranscriptFeed feed_;
  int64_t fed_seq_ = 0;
  std::optional<int64_t> final_seq_;  // the session ended with this log_seq
  bool finished_ = false;             // the end of the log was read (Finish)
};

// Merges `later` into `updates` (one per index, ascending; the later item wins).
void MergeUpdates(std::vector<TranscriptUpdate>& updates, std::vector<TranscriptUpdate> later);

// The GET …/transcript answer for a session whose log is `chunks` (all of it, in seq order):
// {"session_id","items":[…],"log_seq"}; `ended`: the session has ended and `chunks` reach its
// final log_seq, so the last lines without a newline are read too.
nlohmann::json TranscriptJson(const std::string& session_id, std::unique_ptr<TranscriptBuilder> builder,
                              const std::vector<LogChunkPtr>& chunks, bool ended);

}  // namespace agentmux
