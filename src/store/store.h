// The store (DESIGN §4): sessions, their specs, metadata, log chunks and events — as an interface
// a second backend (PostgreSQL, DESIGN §11) can implement. The embedded default is SQLite
// (sqlite_store.h): one database in WAL mode.
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
#include "model/checkpoint.h"
#include "model/session.h"

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
  std::optional<std::string> kind;     // agent | plan | mapreduce
  std::optional<std::string> parent_id;  // the children of this session
  std::optional<std::string> before_id;  // cursor: ids sort by creation time (UUIDv7)
  bool attention = false;                // only sessions that wait for a person
  bool live = false;                     // only pending, running and paused sessions
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

// What a write transaction can do (inside Store::Write / Store::Post). Every text that reaches
// the disk passes through the redactor here (credential shapes: issue 11), whoever built it.
// Implementations throw on failure (the store rolls the item back; see the failure model).
class StoreTxn {
 public:
  virtual ~StoreTxn() = default;
  virtual void InsertSession(const SessionRecord& s) = 0;
  virtual void UpdateSession(const SessionRecord& s) = 0;  // every field but id
  // Returns the event's id (increasing).
  virtual int64_t InsertEvent(const std::string& session_id, const std::string& type, const nlohmann::json& data,
                              int64_t ts_ms) = 0;
  // Sets one metadata key of a session (insert or replace).
  virtual void SetMetadata(const std::string& session_id, const std::string& key, const std::string& value) = 0;
  // Deletes a session with its specs, metadata, logs, events and checkpoints.
  virtual void DeleteSession(const std::string& session_id) = 0;
  // Stores a checkpoint (its `n` must be new for its session).
  virtual void InsertCheckpoint(const CheckpointRecord& c) = 0;
};

class Store {
 public:
  // Opens (creating if needed) the database at `path` and migrates it to the current schema.
  // A seed-001-shaped database (sessions.spec_id, one log row per line) is converted in place,
  // in one transaction. When the last Store on this file did not close cleanly, PRAGMA
  // quick_check runs on a thread of its own (see integrity()). Errors: kInternal with SQLite's
  // message (corrupt file, newer schema, I/O) and a hint to run `agentmux doctor`.
  // (The SQLite backend, sqlite_store.h.)
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options = {});
  virtual ~Store() = default;  // commits everything queued, then closes

  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- writes (any thread) ----
  using Txn = std::function<void(StoreTxn&)>;
  // Failure model (issue 11): a queued chunk or posted write is never dropped. When a commit fails
  // for a reason that can clear (disk full, I/O error, a locked or damaged file) the writer keeps
  // the batch, marks the store unwritable (health()), and retries with backoff (50 ms → 1 s) until
  // it commits; callers stop feeding it meanwhile (writable()). Only a Store closed while its disk
  // is still failing gives up, after StoreOptions::close_retry_ms, and logs what it lost.

  // Queues a chunk for the next batch. Never blocks; callers apply backpressure with
  // pending_log_bytes() and writable().
  virtual void AppendLog(LogChunkPtr chunk) = 0;
  // Runs `txn` in the next batch and waits for the commit. A Write that returns an error was not
  // applied. Errors: what `txn` threw (kInternal); kUnavailable "store_unavailable" at once when the
  // store is unwritable, or when the batch's commit failed (the change is then not applied).
  virtual Status Write(Txn txn) = 0;
  // Like Write() but returns at once; the change is retried until committed (see above).
  virtual void Post(Txn txn) = 0;
  // Waits until everything queued before the call is committed (returns at once when unwritable).
  virtual void Flush() = 0;
  // False while commits fail (disk full, I/O error); true again after the next successful commit.
  virtual bool writable() const = 0;
  // "ok", or why the store cannot write: "disk full: <SQLite's message>", "I/O error: …",
  // "locked: …", "damaged: …". Any thread.
  virtual std::string health() const = 0;
  // Called on the writer thread whenever writable() changes, with the new value and health().
  virtual void SetHealthListener(std::function<void(bool writable, const std::string& health)> listener) = 0;
  // Bytes of log data queued and not yet committed.
  virtual size_t pending_log_bytes() const = 0;
  // Called on the writer thread after each commit with (session id, highest committed seq) pairs.
  virtual void SetCommitListener(std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener) = 0;
  // Commits and batch sizes so far (for tests and benchmarks).
  virtual uint64_t commit_count() const = 0;


  // ---- reads (REQUIRES: one thread) ----
  // The session `ref` names: `last` or `-N` (the newest / Nth newest session not a plan's task), a
  // name (the live session of that name, else the newest), or a unique prefix of the id or of its
  // last group (model/session.h ShortId). Errors: session_not_found, ambiguous_id (lists candidates).
  virtual Result<std::string> ResolveId(const std::string& ref) = 0;
  virtual Result<SessionRecord> GetSession(const std::string& id) = 0;
  // True when a session (a live one: pending, running or paused, when `live_only`) has `name`.
  virtual bool NameTaken(const std::string& name, bool live_only) = 0;
  virtual std::vector<SessionRecord> ListSessions(const SessionFilter& filter) = 0;
  // Ids of sessions whose status is one of `statuses`.
  virtual std::vector<std::string> SessionIdsWithStatus(const std::vector<std::string>& statuses) = 0;
  // Chunks with seq > after_seq in order, at most `max_chunks` and about `max_bytes` (always ≥ 1
  // chunk when one exists).
  virtual std::vector<LogChunkPtr> ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks,
                                    size_t max_bytes) = 0;
  // The seq of the first chunk holding the last `lines` lines (a trailing partial line counts as
  // one), or 1. The caller trims the leading part of that chunk.
  virtual int64_t TailStartSeq(const std::string& id, int64_t lines) = 0;
  // (last seq, total bytes) actually stored for a session.
  virtual std::pair<int64_t, int64_t> LogExtent(const std::string& id) = 0;
  virtual std::vector<EventRecord> ReadEvents(const std::string& id, int64_t after_id, int limit) = 0;
  // A session's checkpoints, oldest first.
  virtual std::vector<CheckpointRecord> ListCheckpoints(const std::string& session_id) = 0;
  // The checkpoint whose id starts with `prefix`. Errors: checkpoint_not_found, ambiguous_id.
  virtual Result<CheckpointRecord> GetCheckpoint(const std::string& prefix) = 0;
  virtual int schema_version() = 0;

  // The file's integrity check (any thread): "ok" (checked, or closed cleanly last time),
  // "checking" (after an unclean close, running in the background) or "failed: <SQLite's first
  // problem>" (logged as an error; the daemon keeps serving, the check runs again next open).
  virtual std::string integrity() const = 0;

};

// The SQL of migration `version` (1-based) embedded from src/store/migrations/, or nullptr.
const char* MigrationSql(int version);
int LatestSchemaVersion();
const char* LegacySeed001Sql();

}  // namespace agentmux
