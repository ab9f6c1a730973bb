// A session's output as a log: each piece becomes a LogChunk with the next sequence number (1-based,
// no gaps) and its byte offset, and is kept in an in-memory tail until the store reports it
// committed — so a reader combining the store and the tail never sees a gap (DESIGN §4).
//
// Threading: loop thread only. One per live session.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "store/store.h"

namespace agentmux {

class LogSequencer {
 public:
  // Continues a log whose last stored chunk is `last_seq` and which holds `bytes` bytes (0, 0 for
  // a new session; a resumed one appends).
  LogSequencer(std::string session_id, int64_t last_seq, int64_t bytes)
      : session_id_(std::move(session_id)), next_seq_(last_seq + 1), offset_(bytes), committed_seq_(last_seq) {}

  // The next chunk: seq, offset, timestamp (now, ms UTC), level (pty|stdout|stderr|info|error),
  // line count. Kept in the tail until Committed() passes it.
  LogChunkPtr Next(const std::string& level, std::string data);
  // The store committed everything up to `seq`.
  void Committed(int64_t seq);
  // Appends to `out` the uncommitted chunks that continue it without a gap: those after the last
  // chunk of `out` (or after `after_seq` when `out` is empty), until `max_chunks` chunks or about
  // `max_bytes` bytes are in `out`.
  void AppendTail(std::vector<LogChunkPtr>& out, int64_t after_seq, size_t max_chunks, size_t max_bytes) const;

  int64_t last_seq() const { return next_seq_ - 1; }
  int64_t bytes() const { return offset_; }
  size_t uncommitted() const { return tail_.size(); }

 private:
  std::string session_id_;
  int64_t next_seq_;
  int64_t offset_;
  int64_t committed_seq_;
  std::deque<LogChunkPtr> tail_;
};

}  // namespace agentmux
