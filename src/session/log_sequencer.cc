#include "session/log_sequencer.h"

#include <algorithm>

#include "base/clock.h"

namespace agentmux {

LogChunkPtr LogSequencer::Next(const std::string& level, std::string data) {
  auto chunk = std::make_shared<LogChunk>();
  chunk->session_id = session_id_;
  chunk->seq = next_seq_++;
  chunk->offset = offset_;
  chunk->ts = NowMs();
  chunk->level = level;
  chunk->data = std::move(data);
  chunk->line_count = std::count(chunk->data.begin(), chunk->data.end(), '\n');
  offset_ += static_cast<int64_t>(chunk->data.size());
  tail_.push_back(chunk);
  return chunk;
}

void LogSequencer::Committed(int64_t seq) {
  committed_seq_ = std::max(committed_seq_, seq);
  while (!tail_.empty() && tail_.front()->seq <= committed_seq_) tail_.pop_front();
}

void LogSequencer::AppendTail(std::vector<LogChunkPtr>& out, int64_t after_seq, size_t max_chunks,
                              size_t max_bytes) const {
  int64_t last = out.empty() ? after_seq : out.back()->seq;
  size_t bytes = 0;
  for (const auto& c : out) bytes += c->data.size();
  for (const auto& c : tail_) {
    if (out.size() >= max_chunks || (bytes >= max_bytes && !out.empty())) break;
    if (c->seq <= last) continue;
    if (c->seq != last + 1) break;  // not contiguous with what the store gave (cannot happen; be safe)
    out.push_back(c);
    bytes += c->data.size();
    last = c->seq;
  }
}

}  // namespace agentmux
