// The store: one SQLite database in WAL mode (DESIGN §4) holding sessions, their specs, metadata,
// log chunks and events.
//
// Writes go through one writer thread that commits in batches (leveldb-style group commit): log
// chunks are queued with AppendLog() and reach disk in the next batch; Write() runs a transaction
// function in the next batch and returns after it committed, so a status change and its event are
// durable before anyone is told. Each Write() function runs under its own SAVEPOINT: one that throws
// is rolled back alone and its error returned.
//
// WAL checkpoints run on a third connection and thread, so copying the WAL into the database file
// never delays a commit.
//
// Reads use a second connection and are not thread-safe: REQUIRES that one thread (the daemon's
// event loop) does all reads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/session.h"

namespace SQLite {
class Database;
}

namespace agentmux {

// One PTY or pipe read as stored (session_logs row). Immutable once built; shared between the
// writer queue, the in-memory tail and subscribers.
struct LogChunk {
  std::string session_id;
  int64_t seq = 0;     // 1-based, per session, no gaps
  int64_t offset = 0;  // bytes of the session's log before this chunk
  int64_t ts = 0;      // ms since epoch, UTC
  std::string level;   // pty | stdout | stderr | info | error
  std::string data;    // raw bytes
  int64_t line_count = 0;
};
using LogChunkPtr = std::shared_ptr<const LogChunk>;

struct EventRecord {
  int64_t id = 0;
  std::string session_id;
  std::string type;
  nlohmann::json data;
  int64_t ts = 0;  // ms since epoch
};
nlohmann::json ToJson(const EventRecord& e);

struct SessionFilter {
  std::optional<std::string> spec;     // sessions with this spec attached (full id or prefix "028")
  std::optional<std::string> status;
  std::optional<std::string> tool;
  std::optional<std::string> project;  // exact project_path
  std::optional<std::string> before_id;  // cursor: ids sort by creation time (UUIDv7)
  int limit = 100;
};

// Thrown by the read functions when SQLite finds the file damaged (SQLITE_CORRUPT, SQLITE_NOTADB);
// integrity() then says "failed: …". The API answers 503 store_corrupt with what to do.
struct StoreCorrupt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct StoreOptions {
  std::string vfs;  // SQLite VFS name ("" = the default); tests use kFaultVfsName (fault_vfs.h)
  // Test hook, called on the writer thread just before (`after` = false) and just after each
  // commit: a test child process _exit()s here to play a crash at that point.
  std::function<void(bool after)> commit_hook;
  // How long the writer keeps retrying a failing commit after the Store was asked to close, before
  // it gives the queued writes up (and logs what was lost). Until then it retries forever.
  int64_t close_retry_ms = 3000;
};

class Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates it to the current schema.
  // A seed-001-shaped database (sessions.spec_id, one log row per line) is converted in place,
  // in one transaction. When the last Store on this file did not close cleanly, PRAGMA
  // quick_check runs on a thread of its own (see integrity()). Errors: kInternal with SQLite's
  // message (corrupt file, newer schema, I/O) and a hint to run `agentmux doctor`.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options = {});
  ~Store();  // commits everything queued, stops the writer thread, marks the file closed cleanly

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- writes (any thread) ----
  using Txn = std::function<void(SQLite::Database&)>;
  // Failure model (issue 11): a queued chunk or posted write is never dropped. When a commit fails
  // for a reason that can clear (disk full, I/O error, a locked or damaged file) the writer keeps
  // the batch, marks the store unwritable (health()), and retries with backoff (50 ms → 1 s) until
  // it commits; callers stop feeding it meanwhile (writable()). Only a Store closed while its disk
  // is still failing gives up, after StoreOptions::close_retry_ms, and logs what it lost.

  // Queues a chunk for the next batch. Never blocks; callers apply backpressure with
  // pending_log_bytes() and writable().
  void AppendLog(LogChunkPtr chunk);
  // Runs `txn` in the next batch and waits for the commit. A Write that returns an error was not
  // applied. Errors: what `txn` threw (kInternal); kUnavailable "store_unavailable" at once when the
  // store is unwritable, or when the batch's commit failed (the change is then not applied).
  Status Write(Txn txn);
  // Like Write() but returns at once; the change is retried until committed (see above).
  void Post(Txn txn);
  // Waits until everything queued before the call is committed (returns at once when unwritable).
  void Flush();
  // False while commits fail (disk full, I/O error); true again after the next successful commit.
  bool writable() const { return writable_.load(std::memory_order_relaxed); }
  // "ok", or why the store cannot write: "disk full: <SQLite's message>", "I/O error: …",
  // "locked: …", "damaged: …". Any thread.
  std::string health() const;
  // Called on the writer thread whenever writable() changes, with the new value and health().
  void SetHealthListener(std::function<void(bool writable, const std::string& health)> listener);
  // Bytes of log data queued and not yet committed.
  size_t pending_log_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }
  // Called on the writer thread after each commit with (session id, highest committed seq) pairs.
  void SetCommitListener(std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener);
  // Commits and batch sizes so far (for tests and benchmarks).
  uint64_t commit_count() const { return commits_.load(); }

  // ---- helpers for use inside a Txn ----
  static void InsertSession(SQLite::Database& db, const SessionRecord& s);
  static void UpdateSession(SQLite::Database& db, const SessionRecord& s);  // every column but id
  static int64_t InsertEvent(SQLite::Database& db, const std::string& session_id, const std::string& type,
                             const nlohmann::json& data, int64_t ts_ms);
  // Sets one metadata key of a session (insert or replace); the value is redacted.
  static void SetMetadata(SQLite::Database& db, const std::string& session_id, const std::string& key,
                          const std::string& value);
  // Deletes a session with its specs, metadata, logs and events (foreign keys cascade).
  static void DeleteSession(SQLite::Database& db, const std::string& session_id);

  // ---- reads (REQUIRES: one thread) ----
  // The unique id starting with `prefix`. Errors: session_not_found, ambiguous_id (lists candidates).
  Result<std::string> ResolveId(const std::string& prefix);
  Result<SessionRecord> GetSession(const std::string& id);
  std::vector<SessionRecord> ListSessions(const SessionFilter& filter);
  // Ids of sessions whose status is one of `statuses`.
  std::vector<std::string> SessionIdsWithStatus(const std::vector<std::string>& statuses);
  // Chunks with seq > after_seq in order, at most `max_chunks` and about `max_bytes` (always ≥ 1
  // chunk when one exists).
  std::vector<LogChunkPtr> ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks,
                                    size_t max_bytes);
  // The seq of the first chunk holding the last `lines` lines (a trailing partial line counts as
  // one), or 1. The caller trims the leading part of that chunk.
  int64_t TailStartSeq(const std::string& id, int64_t lines);
  // (last seq, total bytes) actually stored for a session.
  std::pair<int64_t, int64_t> LogExtent(const std::string& id);
  std::vector<EventRecord> ReadEvents(const std::string& id, int64_t after_id, int limit);
  int schema_version();

  // The file's integrity check (any thread): "ok" (checked, or closed cleanly last time),
  // "checking" (after an unclean close, running in the background) or "failed: <SQLite's first
  // problem>" (logged as an error; the daemon keeps serving, the check runs again next open).
  std::string integrity() const;

 private:
  struct Item;
  explicit Store(std::unique_ptr<SQLite::Database> writer, std::unique_ptr<SQLite::Database> reader,
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
  std::string clean_marker_;     // "<db>.clean", written by ~Store after the last commit
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

// The SQL of migration `version` (1-based) embedded from src/store/migrations/, or nullptr.
const char* MigrationSql(int version);
int LatestSchemaVersion();
const char* LegacySeed001Sql();

}  // namespace agentmux
