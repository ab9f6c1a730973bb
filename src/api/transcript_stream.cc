#include "api/transcript_stream.h"

#include <map>

namespace agentmux {
using nlohmann::json;

void MergeUpdates(std::vector<TranscriptUpdate>& updates, std::vector<TranscriptUpdate> later) {
  if (later.empty()) return;
  if (updates.empty()) {
    updates = std::move(later);
    return;
  }
  std::map<size_t, TranscriptItem> merged;
  for (auto& u : updates) merged[u.index] = std::move(u.item);
  for (auto& u : later) merged[u.index] = std::move(u.item);
  updates.clear();
  for (auto& [index, item] : merged) updates.push_back({index, std::move(item)});
}

std::shared_ptr<const std::string> TranscriptStream::Chunk(const LogChunk& chunk, bool silent) {
  std::vector<TranscriptUpdate> updates = feed_.Chunk(chunk.level, chunk.data);
  fed_seq_ = chunk.seq;
  if (final_seq_ && fed_seq_ >= *final_seq_ && !finished_) {
    finished_ = true;
    MergeUpdates(updates, feed_.Finish());
  }
  if (silent) return nullptr;
  return Message(chunk.seq, updates);
}

std::shared_ptr<const std::string> TranscriptStream::Status(bool terminal, int64_t log_seq) {
  if (!terminal) {
    final_seq_.reset();
    finished_ = false;
    return nullptr;
  }
  final_seq_ = log_seq;
  if (finished_ || fed_seq_ < log_seq) return nullptr;
  finished_ = true;
  return Message(fed_seq_, feed_.Finish());
}

std::shared_ptr<const std::string> TranscriptStream::Message(int64_t seq, const std::vector<TranscriptUpdate>& updates) const {
  if (updates.empty()) return nullptr;
  json msg = {{"type", "transcript"}, {"session_id", session_id_}, {"seq", seq}, {"updates", ToJson(updates)}};
  return std::make_shared<const std::string>(msg.dump(-1, ' ', false, json::error_handler_t::replace));
}

json TranscriptJson(const std::string& session_id, std::unique_ptr<TranscriptBuilder> builder,
                    const std::vector<LogChunkPtr>& chunks, bool ended) {
  TranscriptFeed feed(std::move(builder));
  for (const auto& c : chunks) feed.Chunk(c->level, c->data);
  if (ended) feed.Finish();
  return {{"session_id", session_id}, {"items", ToJson(feed.items())}, {"log_seq", chunks.empty() ? 0 : chunks.back()->seq}};
}

}  // namespace agentmux
