// The SQLite backend of the store (DESIGN §4): one database file in WAL mode, synchronous=NORMAL.
//
// Connections and threads: the writer (its own thread, group commit: sqlite_writer.cc), the reader
// (the loop thread), the WAL checkpointer (its own connection and thread, so copying the WAL never
// delays a commit), and after an unclean close the integrity checker (quick_check in the
// background). Files: sqlite_store.cc (open, reads), sqlite_writer.cc (writes), codec.cc (rows),
// migrate.cc (schema).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "store/store.h"

namespace SQLite {
class Database;
}

namespace agentmux {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options);
  ~SqliteStore() override;

  // Store (see store.h for each function's contract)
  void AppendLog(LogChunkPtr chunk) override;
  Status Write(Txn txn) override;
  void Post(Txn txn) override;
  void Flush() override;
  bool writable() const override { return writable_.load(std::memory_order_relaxed); }
  std::string health() const override;
  void SetHealthListener(std::function<void(bool writable, const std::string& health)> listener) override;
  size_t pending_log_bytes() const override { return pending_bytes_.load(std::memory_order_relaxed); }
  void SetCommitListener(std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener) override;
  uint64_t commit_count() const override { return commits_.load(); }
  Result<std::string> ResolveId(const std::string& prefix) override;
  Result<SessionRecord> GetSession(const std::string& id) override;
  bool NameTaken(const std::string& name, bool live_only) override;
  std::vector<SessionRecord> ListSessions(const SessionFilter& filter) override;
  std::vector<std::string> SessionIdsWithStatus(const std::vector<std::string>& statuses) override;
  std::vector<LogChunkPtr> ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks,
                                    size_t max_bytes) override;
  int64_t TailStartSeq(const std::string& id, int64_t lines) override;
  std::pair<int64_t, int64_t> LogExtent(const std::string& id) override;
  std::vector<EventRecord> ReadEvents(const std::string& id, int64_t after_id, int limit) override;
  std::vector<CheckpointRecord> ListCheckpoints(const std::string& session_id) override;
  Result<CheckpointRecord> GetCheckpoint(const std::string& prefix) override;
  int schema_version() override;
  std::string integrity() const override;

 private:
  // A queued write: a log chunk, or a transaction function (with a waiter for Write and Flush).
  struct Item {
    LogChunkPtr chunk;
    Txn txn;
    std::shared_ptr<std::promise<Status>> done;
    bool skip = false;  // answered or given up: not part of the batch any more
  };
  SqliteStore(std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader,
              std::string clean_marker, StoreOptions options);
  void SetHealth(bool writable, std::string health);
  // Runs a read; a damaged file becomes StoreCorrupt (and integrity() "failed: …").
  template <typename F>
  auto Guarded(F&& read) -> decltype(read());
  void WriterLoop();
  // Commits one batch, retrying as the failure model above says. Fills `results` (waiters to
  // answer) and `committed` ((session, highest seq) stored).
  void CommitBatch(std::deque<Item>& batch,
                   std::vector<std::pair<std::shared_ptr<std::promise<Status>>, Status>>& results,
                   std::vector<std::pair<std::string, int64_t>>& committed);
  void Enqueue(Item item);
  void SetIntegrity(std::string state);
  // Writer thread: asks the checkpointer thread for a PASSIVE checkpoint once the WAL holds
  // 32 MiB, deferred while `flood` (up to 256 MiB).
  void MaybeCheckpoint(bool flood);
  void StartCheckpointer(const std::string& path);

  std::unique_ptr<SQLite::Database> writer_db_;
  std::unique_ptr<SQLite::Database> reader_db_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  size_t queue_waiters_ = 0;     // items in queue_ whose caller waits for the commit (Write, Flush)
  bool stopping_ = false;
  std::string clean_marker_;     // "<db>.clean", written by ~SqliteStore after the last commit
  std::atomic<size_t> pending_bytes_{0};
  std::atomic<uint64_t> commits_{0};
  std::function<void(std::vector<std::pair<std::string, int64_t>>)> commit_listener_;
  std::thread writer_;
  mutable std::mutex integrity_mu_;
  std::string integrity_ = "ok";
  std::unique_ptr<SQLite::Database> checker_db_;  // quick_check's own connection
  std::thread checker_;
  std::atomic<bool> closing_{false};
  StoreOptions options_;
  std::atomic<bool> writable_{true};
  mutable std::mutex health_mu_;
  std::string health_ = "ok";
  std::function<void(bool, const std::string&)> health_listener_;
  int wal_frames_ = 0;  // frames in the WAL after the last commit (writer thread)
  std::unique_ptr<SQLite::Database> checkpoint_db_;  // the checkpointer thread's connection
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_requested_ = false;
  bool checkpoint_stop_ = false;
};


}  // namespace agentmux
