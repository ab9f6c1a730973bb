#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <chrono>

#include "base/clock.h"
#include "proc/redact.h"
#include "store/fault_vfs.h"

namespace agentmux {

struct Store::Item {
  LogChunkPtr chunk;                     // either a chunk …
  Txn txn;                               // … or a transaction function
  std::shared_ptr<std::promise<Status>> done;  // set for Write()/Flush()
  bool skip = false;                     // answered or given up: not part of the batch any more
};

namespace {

// A batch nobody waits on is committed once this much log is queued, or after 5 ms.
constexpr size_t kGroupCommitBytes = 1u << 20;

using SQLite::Database;
using SQLite::Statement;

void ApplyPragmas(Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=ON");
  db.exec("PRAGMA busy_timeout=5000");
}

bool TableHasColumn(Database& db, const std::string& table, const std::string& column) {
  Statement q(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  q.bind(1, table);
  q.bind(2, column);
  return q.executeStep();
}

bool TableExists(Database& db, const std::string& table) {
  Statement q(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  q.bind(1, table);
  return q.executeStep();
}

// Renames the seed-001 tables to legacy_* (dropping their indexes, whose names the new schema
// reuses) so LegacySeed001Sql() can copy them into schema v1.
void RenameLegacyTables(Database& db) {
  const char* tables[] = {"sessions", "session_metadata", "session_logs", "session_events"};
  std::vector<std::string> indexes;
  {
    Statement q(db,
                "SELECT name FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN "
                "('sessions','session_metadata','session_logs','session_events')");
    while (q.executeStep()) indexes.push_back(q.getColumn(0).getString());
  }
  for (const auto& idx : indexes) db.exec("DROP INDEX \"" + idx + "\"");
  for (const char* t : tables) {
    if (TableExists(db, t)) {
      db.exec(std::string("ALTER TABLE ") + t + " RENAME TO legacy_" + t);
    }
  }
  // A legacy file may lack some tables; create empty ones so the import SQL is uniform.
  db.exec("CREATE TABLE IF NOT EXISTS legacy_session_metadata (session_id TEXT, key TEXT, value TEXT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS legacy_session_logs (id INTEGER PRIMARY KEY, session_id TEXT, timestamp TEXT, "
      "level TEXT, message TEXT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS legacy_session_events (id INTEGER PRIMARY KEY, session_id TEXT, event_type "
      "TEXT, data TEXT, timestamp TEXT)");
}

Status Migrate(Database& db) {
  int version = db.execAndGet("PRAGMA user_version").getInt();
  int latest = LatestSchemaVersion();
  if (version > latest) {
    return Error::Internal("database schema version " + std::to_string(version) +
                           " is newer than this agentmux understands (" + std::to_string(latest) +
                           "); upgrade agentmux");
  }
  if (version == latest) return OkStatus();
  // Legacy foreign keys would fire while tables are being renamed and copied.
  db.exec("PRAGMA foreign_keys=OFF");
  SQLite::Transaction txn(db);
  bool legacy = version == 0 && TableExists(db, "sessions") && TableHasColumn(db, "sessions", "spec_id");
  if (legacy) {
    spdlog::info("migrating a seed-001 database (sessions.spec_id) to schema v{}", latest);
    RenameLegacyTables(db);
  }
  for (int v = version + 1; v <= latest; ++v) db.exec(MigrationSql(v));
  if (legacy) db.exec(LegacySeed001Sql());
  db.exec("PRAGMA user_version = " + std::to_string(latest));
  txn.commit();
  db.exec("PRAGMA foreign_keys=ON");
  return OkStatus();
}

std::optional<std::string> OptText(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}
std::optional<int64_t> OptInt(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}
std::optional<int64_t> OptTime(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return ParseRfc3339(c.getString());
}
void BindOpt(Statement& st, int i, const std::optional<std::string>& v) {
  v ? st.bind(i, *v) : st.bind(i);
}
void BindOpt(Statement& st, int i, const std::optional<int64_t>& v) {
  v ? st.bind(i, *v) : st.bind(i);
}
void BindOpt(Statement& st, int i, const std::optional<int>& v) {
  v ? st.bind(i, *v) : st.bind(i);
}
void BindTime(Statement& st, int i, const std::optional<int64_t>& v) {
  v ? st.bind(i, Rfc3339(*v)) : st.bind(i);
}

constexpr const char* kSessionColumns =
    "id, project_path, prompt, tool, mode, status, exit_code, signal, pid, started_at, ended_at, "
    "duration_ms, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, cost_usd, "
    "num_turns, agent_session_id, parent_id, command, env, context, error, log_seq, log_bytes, created_at, "
    "updated_at, archived_at, token_count, conversation_input_tokens, conversation_output_tokens, "
    "conversation_cache_read_tokens, conversation_cache_creation_tokens, conversation_cost_usd";

// Binds columns 2.. of kSessionColumns (everything after id) starting at parameter `first`.
// Every free text passes through the redactor on its way in (credential shapes: issue 11), whoever
// built the record: the last gate before the disk.
void BindSessionFields(Statement& st, int first, const SessionRecord& session) {
  SessionRecord s = session;
  if (s.prompt) s.prompt = RedactText(*s.prompt);
  for (auto& arg : s.command) arg = RedactText(arg);
  for (auto& [k, v] : s.env) v = RedactText(v);
  s.context = RedactText(s.context);
  if (s.error) s.error = RedactText(*s.error);
  int i = first;
  st.bind(i++, s.project_path);
  BindOpt(st, i++, s.prompt);
  st.bind(i++, s.tool);
  st.bind(i++, std::string(ToString(s.mode)));
  st.bind(i++, std::string(ToString(s.status)));
  BindOpt(st, i++, s.exit_code);
  BindOpt(st, i++, s.signal);
  BindOpt(st, i++, s.pid);
  BindTime(st, i++, s.started_at);
  BindTime(st, i++, s.ended_at);
  BindOpt(st, i++, s.duration_ms);
  if (s.usage) {
    st.bind(i++, s.usage->input_tokens);
    st.bind(i++, s.usage->output_tokens);
    st.bind(i++, s.usage->cache_read_tokens);
    st.bind(i++, s.usage->cache_creation_tokens);
  } else {
    for (int k = 0; k < 4; ++k) st.bind(i++);
  }
  s.cost_usd ? st.bind(i++, *s.cost_usd) : st.bind(i++);
  BindOpt(st, i++, s.num_turns);
  BindOpt(st, i++, s.agent_session_id);
  BindOpt(st, i++, s.parent_id);
  st.bind(i++, nlohmann::json(s.command).dump());
  st.bind(i++, nlohmann::json(s.env).dump());
  st.bind(i++, s.context);
  BindOpt(st, i++, s.error);
  st.bind(i++, s.log_seq);
  st.bind(i++, s.log_bytes);
  st.bind(i++, Rfc3339(s.created_at));
  st.bind(i++, Rfc3339(s.updated_at));
  BindTime(st, i++, s.archived_at);
  s.usage ? st.bind(i++, s.usage->total()) : st.bind(i++);
  if (s.conversation_usage) {
    st.bind(i++, s.conversation_usage->input_tokens);
    st.bind(i++, s.conversation_usage->output_tokens);
    st.bind(i++, s.conversation_usage->cache_read_tokens);
    st.bind(i++, s.conversation_usage->cache_creation_tokens);
  } else {
    for (int k = 0; k < 4; ++k) st.bind(i++);
  }
  s.conversation_cost_usd ? st.bind(i++, *s.conversation_cost_usd) : st.bind(i++);
}

// The per-session side tables, prepared once per listing rather than once per row.
struct SideTables {
  explicit SideTables(Database& db)
      : specs(db, "SELECT spec_id FROM session_specs WHERE session_id = ? ORDER BY position"),
        meta(db, "SELECT key, value FROM session_metadata WHERE session_id = ?") {}
  Statement specs;
  Statement meta;
};

SessionRecord ReadSessionRow(SideTables& side, Statement& q) {
  SessionRecord s;
  int i = 0;
  s.id = q.getColumn(i++).getString();
  s.project_path = q.getColumn(i++).getString();
  s.prompt = OptText(q.getColumn(i++));
  s.tool = q.getColumn(i++).getString();
  s.mode = ParseSessionMode(q.getColumn(i++).getString()).value_or(SessionMode::kAutonomous);
  s.status = ParseSessionStatus(q.getColumn(i++).getString()).value_or(SessionStatus::kFailed);
  if (auto v = OptInt(q.getColumn(i++))) s.exit_code = static_cast<int>(*v);
  s.signal = OptText(q.getColumn(i++));
  if (auto v = OptInt(q.getColumn(i++))) s.pid = static_cast<int>(*v);
  s.started_at = OptTime(q.getColumn(i++));
  s.ended_at = OptTime(q.getColumn(i++));
  s.duration_ms = OptInt(q.getColumn(i++));
  auto in = OptInt(q.getColumn(i++)), out = OptInt(q.getColumn(i++)), cr = OptInt(q.getColumn(i++)),
       cc = OptInt(q.getColumn(i++));
  if (in || out || cr || cc) s.usage = Usage{in.value_or(0), out.value_or(0), cr.value_or(0), cc.value_or(0)};
  if (!q.getColumn(i).isNull()) s.cost_usd = q.getColumn(i).getDouble();
  ++i;
  s.num_turns = OptInt(q.getColumn(i++));
  s.agent_session_id = OptText(q.getColumn(i++));
  s.parent_id = OptText(q.getColumn(i++));
  s.command = nlohmann::json::parse(q.getColumn(i++).getString(), nullptr, false)
                  .get<std::vector<std::string>>();
  auto env = nlohmann::json::parse(q.getColumn(i++).getString(), nullptr, false);
  if (env.is_object()) s.env = env.get<std::map<std::string, std::string>>();
  s.context = q.getColumn(i++).getString();
  s.error = OptText(q.getColumn(i++));
  s.log_seq = q.getColumn(i++).getInt64();
  s.log_bytes = q.getColumn(i++).getInt64();
  s.created_at = ParseRfc3339(q.getColumn(i++).getString()).value_or(0);
  s.updated_at = ParseRfc3339(q.getColumn(i++).getString()).value_or(0);
  s.archived_at = OptTime(q.getColumn(i++));
  // Legacy rows carry only token_count.
  if (!s.usage && !q.getColumn(i).isNull()) s.usage = Usage{q.getColumn(i).getInt64(), 0, 0, 0};
  ++i;
  auto ci = OptInt(q.getColumn(i++)), co = OptInt(q.getColumn(i++)), ccr = OptInt(q.getColumn(i++)),
       ccc = OptInt(q.getColumn(i++));
  if (ci || co || ccr || ccc) s.conversation_usage = Usage{ci.value_or(0), co.value_or(0), ccr.value_or(0), ccc.value_or(0)};
  if (!q.getColumn(i).isNull()) s.conversation_cost_usd = q.getColumn(i).getDouble();

  Statement& specs = side.specs;
  specs.reset();
  specs.bind(1, s.id);
  while (specs.executeStep()) s.spec_ids.push_back(specs.getColumn(0).getString());
  Statement& meta = side.meta;
  meta.reset();
  meta.bind(1, s.id);
  while (meta.executeStep()) s.metadata[meta.getColumn(0).getString()] = meta.getColumn(1).getString();
  return s;
}

}  // namespace

nlohmann::json ToJson(const EventRecord& e) {
  return {{"id", e.id}, {"session_id", e.session_id}, {"event_type", e.type}, {"data", e.data},
          {"timestamp", Rfc3339(e.ts)}};
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, StoreOptions options) {
  if (options.vfs == kFaultVfsName) RegisterFaultVfs();
  const std::string& vfs = options.vfs;
  try {
    bool existed = ::access(path.c_str(), F_OK) == 0;
    auto writer = std::make_unique<Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE |
                                                       SQLite::OPEN_FULLMUTEX, 0, vfs);
    ApplyPragmas(*writer);
    std::string clean_marker = path + ".clean";
    bool was_clean = ::unlink(clean_marker.c_str()) == 0 || !existed;  // a new file has nothing to check
    if (auto st = Migrate(*writer); !st.ok()) return st.error();
    auto reader = std::make_unique<Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX, 0, vfs);
    ApplyPragmas(*reader);
    std::unique_ptr<Store> store(
        new Store(std::move(writer), std::move(reader), std::move(clean_marker), std::move(options)));
    store->StartCheckpointer(path);
    if (was_clean) {
      store->SetIntegrity("ok");
    } else {
      // The previous daemon did not close the store (a crash, a kill -9, a power cut). WAL makes
      // that safe for SQLite, but the disk may not have been: check the file — in the background,
      // because PRAGMA quick_check reads every page (150 ms at 180 MB, seconds at gigabytes) and
      // the daemon should answer at once.
      store->SetIntegrity("checking");
      store->checker_db_ = std::make_unique<Database>(path, SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX, 0, vfs);
      store->checker_ = std::thread([s = store.get(), path] {
        std::string result;
        try {
          result = s->checker_db_->execAndGet("PRAGMA quick_check").getString();
        } catch (const std::exception& e) {
          result = e.what();
        }
        if (result == "ok") {
          s->SetIntegrity("ok");
        } else if (!s->closing_.load()) {
          spdlog::error("store: database {} failed its integrity check: {}. Stop the daemon, back the file up "
                        "and run `sqlite3 {} .recover` into a new file.",
                        path, result, path);
          s->SetIntegrity("failed: " + result);
        }
      });
    }
    return store;
  } catch (const std::exception& e) {
    return Error::Internal("cannot open database " + path + ": " + e.what() +
                           " (`agentmux doctor` checks the file; `agentmux doctor --repair` backs it up and "
                           "recovers what it can)");
  }
}

Store::Store(std::unique_ptr<Database> writer, std::unique_ptr<Database> reader, std::string clean_marker,
             StoreOptions options)
    : writer_db_(std::move(writer)),
      reader_db_(std::move(reader)),
      clean_marker_(std::move(clean_marker)),
      options_(std::move(options)) {
  // The writer checkpoints the WAL itself (see MaybeCheckpoint): SQLite's automatic checkpoint
  // would copy a log flood into the database file while the flood is still arriving.
  sqlite3_wal_hook(
      writer_db_->getHandle(),
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Store*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      this);
  writer_db_->exec("PRAGMA journal_size_limit=67108864");  // a WAL grown by a flood shrinks back
  writer_ = std::thread([this] { WriterLoop(); });
}

void Store::MaybeCheckpoint(bool flood) {
  // 8,192 pages = 32 MiB of WAL. During a flood (more log data already queued) wait, up to 256 MiB:
  // the copy into the database file then happens once the agent has gone quiet.
  constexpr int kCheckpointPages = 8192, kMaxWalPages = 65536;
  if (wal_frames_ < kCheckpointPages || (flood && wal_frames_ < kMaxWalPages)) return;
  wal_frames_ = 0;  // the next commit's hook reports what is left
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_requested_ = true;
  }
  checkpoint_cv_.notify_one();
}

void Store::StartCheckpointer(const std::string& path) {
  checkpoint_db_ = std::make_unique<Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_FULLMUTEX, 0, options_.vfs);
  ApplyPragmas(*checkpoint_db_);  // reads the header: until then the connection does not know it is WAL
  checkpointer_ = std::thread([this] {
    std::unique_lock lock(checkpoint_mu_);
    for (;;) {
      checkpoint_cv_.wait(lock, [&] { return checkpoint_requested_ || checkpoint_stop_; });
      if (checkpoint_stop_) return;
      checkpoint_requested_ = false;
      lock.unlock();
      // PASSIVE on its own connection: copies what no reader still needs while the writer goes on
      // appending to the WAL; a copy of tens of MiB never delays a commit.
      int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                         nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        spdlog::warn("store: WAL checkpoint failed: {}", sqlite3_errmsg(checkpoint_db_->getHandle()));
      lock.lock();
    }
  });
}

Store::~Store() {
  closing_ = true;
  if (checker_.joinable()) {
    sqlite3_interrupt(checker_db_->getHandle());  // a check still running is redone next time
    checker_.join();
  }
  checker_db_.reset();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  writer_.join();
  if (checkpointer_.joinable()) {
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_one();
    checkpointer_.join();
  }
  checkpoint_db_.reset();
  reader_db_.reset();
  writer_db_.reset();  // the last connection checkpoints the WAL
  // Only a checked file closed cleanly may skip the next check.
  if (integrity() == "ok")
    if (FILE* f = std::fopen(clean_marker_.c_str(), "w")) std::fclose(f);
}

std::string Store::integrity() const {
  std::lock_guard lock(integrity_mu_);
  return integrity_;
}

void Store::SetIntegrity(std::string state) {
  std::lock_guard lock(integrity_mu_);
  integrity_ = std::move(state);
}

void Store::SetCommitListener(std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener) {
  std::lock_guard lock(mu_);
  commit_listener_ = std::move(listener);
}

void Store::Enqueue(Item item) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    // The writer waits for a first item, then (group commit) for a waiter or 1 MiB of log: other
    // items need not wake it, which spares 1,000 chatty sessions a futex wake per line.
    wake = queue_.empty() || item.done || pending_bytes_.load(std::memory_order_relaxed) >= kGroupCommitBytes;
    if (item.done) ++queue_waiters_;
    queue_.push_back(std::move(item));
  }
  if (wake) cv_.notify_one();
}

void Store::AppendLog(LogChunkPtr chunk) {
  pending_bytes_.fetch_add(chunk->data.size(), std::memory_order_relaxed);
  Enqueue(Item{std::move(chunk), nullptr, nullptr});
}

Status Store::Write(Txn txn) {
  if (!writable())
    return Error::Unavailable("store_unavailable", "the database cannot be written now (" + health() +
                                                       "); nothing was changed. Free disk space; agentmux resumes "
                                                       "by itself.");
  auto done = std::make_shared<std::promise<Status>>();
  auto fut = done->get_future();
  Enqueue(Item{nullptr, std::move(txn), done});
  return fut.get();
}

void Store::Post(Txn txn) { Enqueue(Item{nullptr, std::move(txn), nullptr}); }

void Store::Flush() {
  (void)Write([](Database&) {});
}

void Store::WriterLoop() {
  for (;;) {
    std::deque<Item> batch;
    std::function<void(std::vector<std::pair<std::string, int64_t>>)> listener;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      // Group commit: a batch nobody waits on (log chunks, posted writes) collects for up to 5 ms
      // or 1 MiB, so 1,000 chatty sessions cost a few hundred commits a second, not thousands.
      // (No batch is in flight here, so pending_bytes_ is the log queued.)
      auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(5);
      cv_.wait_until(lock, deadline, [&] {
        return stopping_ || queue_waiters_ > 0 || pending_bytes_.load(std::memory_order_relaxed) >= kGroupCommitBytes;
      });
      batch.swap(queue_);
      queue_waiters_ = 0;
      listener = commit_listener_;
    }
    std::vector<std::pair<std::shared_ptr<std::promise<Status>>, Status>> results;
    std::vector<std::pair<std::string, int64_t>> committed;
    CommitBatch(batch, results, committed);
    size_t queued_bytes = 0;
    for (auto& item : batch)
      if (item.chunk) queued_bytes += item.chunk->data.size();  // committed, or given up at close
    pending_bytes_.fetch_sub(queued_bytes, std::memory_order_relaxed);
    commits_.fetch_add(1);
    if (listener && !committed.empty()) listener(std::move(committed));
    for (auto& [promise, st] : results) promise->set_value(st);
    // After the waiters were answered: a checkpoint never delays a status change.
    MaybeCheckpoint(pending_bytes_.load(std::memory_order_relaxed) >= (256u << 10));
  }
}

namespace {

// Failures that may clear by themselves or by the user's hand (space freed, device back, lock
// released, file repaired): the batch is kept and retried. Others (a constraint, a bug) cannot
// succeed by retrying.
bool IsRetryable(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM:
    case SQLITE_CANTOPEN: case SQLITE_READONLY: case SQLITE_PROTOCOL: case SQLITE_CORRUPT: case SQLITE_NOTADB:
      return true;
    default:
      return false;
  }
}

std::string DescribeFailure(int code, const std::string& message) {
  switch (code & 0xff) {
    case SQLITE_FULL: return "disk full: " + message;
    case SQLITE_IOERR: return "I/O error: " + message;
    case SQLITE_BUSY: case SQLITE_LOCKED: return "locked by another process: " + message;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: return "damaged: " + message + " (run `agentmux doctor`)";
    default: return message;
  }
}

}  // namespace

void Store::CommitBatch(std::deque<Item>& batch,
                        std::vector<std::pair<std::shared_ptr<std::promise<Status>>, Status>>& results,
                        std::vector<std::pair<std::string, int64_t>>& committed) {
  Statement insert(*writer_db_,
                   "INSERT INTO session_logs (session_id, seq, offset, ts, level, data, line_count) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)");
  int64_t backoff_ms = 50;
  int64_t gave_up_at = 0;  // monotonic ms after which a closing store stops retrying
  // isolate: each item under its own savepoint, so one that can never be stored (a constraint
  // violation: a bug) is logged and left out instead of failing its whole batch forever.
  bool isolate = false;
  for (;;) {
    results.clear();
    committed.clear();
    int failed_code = 0;
    std::string failed_message;
    try {
      SQLite::Transaction txn(*writer_db_, SQLite::TransactionBehavior::IMMEDIATE);
      for (auto& item : batch) {
        if (item.skip) continue;
        if (item.chunk) {
          const LogChunk& c = *item.chunk;
          if (isolate) writer_db_->exec("SAVEPOINT item");
          try {
            insert.reset();
            insert.bind(1, c.session_id);
            insert.bind(2, c.seq);
            insert.bind(3, c.offset);
            insert.bind(4, c.ts);
            insert.bind(5, c.level);
            insert.bind(6, c.data.data(), static_cast<int>(c.data.size()));
            insert.bind(7, c.line_count);
            insert.exec();
            if (isolate) writer_db_->exec("RELEASE item");
          } catch (const SQLite::Exception& e) {
            if (!isolate || IsRetryable(e.getErrorCode())) throw;
            writer_db_->exec("ROLLBACK TO item");
            writer_db_->exec("RELEASE item");
            spdlog::error("store: log chunk {} of session {} ({} bytes) cannot be stored: {}", c.seq, c.session_id,
                          c.data.size(), e.what());
            item.skip = true;
            continue;
          }
          if (!committed.empty() && committed.back().first == c.session_id)
            committed.back().second = c.seq;
          else
            committed.emplace_back(c.session_id, c.seq);
        } else if (item.txn) {
          writer_db_->exec("SAVEPOINT item");
          Status st = OkStatus();
          try {
            item.txn(*writer_db_);
            writer_db_->exec("RELEASE item");
          } catch (const SQLite::Exception& e) {
            // A full disk inside a transaction function fails the batch (retried), not the item.
            if (IsRetryable(e.getErrorCode())) throw;
            writer_db_->exec("ROLLBACK TO item");
            writer_db_->exec("RELEASE item");
            st = Error::Internal(e.what());
          } catch (const std::exception& e) {
            writer_db_->exec("ROLLBACK TO item");
            writer_db_->exec("RELEASE item");
            st = Error::Internal(e.what());
          }
          if (item.done) results.emplace_back(item.done, st);
          else if (!st.ok()) spdlog::error("store: background write failed: {}", st.error().message);
        } else if (item.done) {
          results.emplace_back(item.done, OkStatus());  // Flush()
        }
      }
      if (options_.commit_hook) options_.commit_hook(false);
      txn.commit();
      if (options_.commit_hook) options_.commit_hook(true);
      if (!writable()) {
        spdlog::info("store: writing again; the queued output and changes are committed");
        SetHealth(true, "ok");
      }
      return;
    } catch (const SQLite::Exception& e) {
      failed_code = e.getErrorCode();
      failed_message = e.what();
    } catch (const std::exception& e) {
      failed_code = SQLITE_ERROR;
      failed_message = e.what();
    }
    if (!IsRetryable(failed_code) && !isolate) {
      isolate = true;
      continue;
    }
    // The transaction was rolled back: nothing of this attempt is stored. Waiters are answered
    // now (their change is left out of the retries, so "error" means "not applied"); chunks and
    // posted changes stay in the batch.
    std::string health = DescribeFailure(failed_code, failed_message);
    for (auto& item : batch) {
      if (item.skip || !item.done) continue;
      item.done->set_value(Error::Unavailable("store_unavailable", "the database cannot be written now (" + health +
                                                                       "); nothing was changed"));
      item.skip = true;
    }
    results.clear();
    if (writable() || this->health() != health) {
      spdlog::error("store: commit failed ({}); keeping {} queued items and retrying until it succeeds", health,
                    batch.size());
      SetHealth(false, health);
    }
    std::unique_lock lock(mu_);
    if (stopping_) {
      int64_t now = MonotonicMs();
      if (gave_up_at == 0) gave_up_at = now + options_.close_retry_ms;
      if (now >= gave_up_at) {
        size_t chunks = 0, bytes = 0, writes = 0;
        for (auto& item : batch) {
          if (item.skip) continue;
          if (item.chunk) ++chunks, bytes += item.chunk->data.size();
          else if (item.txn) ++writes;
        }
        spdlog::error("store: closing while the database cannot be written ({}): {} log chunks ({} bytes) and {} "
                      "changes are lost",
                      health, chunks, bytes, writes);
        committed.clear();
        return;
      }
    }
    cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min<int64_t>(backoff_ms * 2, 1000);
  }
}

std::string Store::health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

void Store::SetHealth(bool writable, std::string health) {
  std::function<void(bool, const std::string&)> listener;
  {
    std::lock_guard lock(health_mu_);
    health_ = std::move(health);
    writable_.store(writable);
    listener = health_listener_;
  }
  if (listener) listener(writable, this->health());
}

void Store::SetHealthListener(std::function<void(bool writable, const std::string& health)> listener) {
  std::lock_guard lock(health_mu_);
  health_listener_ = std::move(listener);
}

void Store::InsertSession(Database& db, const SessionRecord& s) {
  Statement st(db, std::string("INSERT INTO sessions (") + kSessionColumns +
                       ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bind(1, s.id);
  BindSessionFields(st, 2, s);
  st.exec();
  for (size_t i = 0; i < s.spec_ids.size(); ++i) {
    Statement sp(db, "INSERT INTO session_specs (session_id, spec_id, position) VALUES (?, ?, ?)");
    sp.bind(1, s.id);
    sp.bind(2, s.spec_ids[i]);
    sp.bind(3, static_cast<int64_t>(i));
    sp.exec();
  }
  for (const auto& [k, v] : s.metadata) {
    Statement m(db, "INSERT INTO session_metadata (session_id, key, value) VALUES (?, ?, ?)");
    m.bind(1, s.id);
    m.bind(2, k);
    m.bind(3, RedactText(v));
    m.exec();
  }
}

void Store::UpdateSession(Database& db, const SessionRecord& s) {
  Statement st(db,
               "UPDATE sessions SET project_path=?, prompt=?, tool=?, mode=?, status=?, exit_code=?, signal=?, "
               "pid=?, started_at=?, ended_at=?, duration_ms=?, input_tokens=?, output_tokens=?, "
               "cache_read_tokens=?, cache_creation_tokens=?, cost_usd=?, num_turns=?, agent_session_id=?, "
               "parent_id=?, command=?, env=?, context=?, error=?, log_seq=?, log_bytes=?, created_at=?, "
               "updated_at=?, archived_at=?, token_count=?, conversation_input_tokens=?, conversation_output_tokens=?, "
               "conversation_cache_read_tokens=?, conversation_cache_creation_tokens=?, conversation_cost_usd=? WHERE id=?");
  BindSessionFields(st, 1, s);
  st.bind(35, s.id);
  if (st.exec() != 1) throw std::runtime_error("session " + s.id + " is not in the database");
  Statement del(db, "DELETE FROM session_metadata WHERE session_id = ?");
  del.bind(1, s.id);
  del.exec();
  for (const auto& [k, v] : s.metadata) {
    Statement m(db, "INSERT INTO session_metadata (session_id, key, value) VALUES (?, ?, ?)");
    m.bind(1, s.id);
    m.bind(2, k);
    m.bind(3, RedactText(v));
    m.exec();
  }
}

int64_t Store::InsertEvent(Database& db, const std::string& session_id, const std::string& type,
                           const nlohmann::json& data, int64_t ts_ms) {
  Statement st(db, "INSERT INTO session_events (session_id, event_type, data, timestamp) VALUES (?, ?, ?, ?)");
  nlohmann::json safe = data;
  RedactJson(safe);  // payloads quote agents, argv and prompts: no credential reaches the disk
  st.bind(1, session_id);
  st.bind(2, type);
  st.bind(3, safe.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  st.bind(4, Rfc3339(ts_ms));
  st.exec();
  return db.getLastInsertRowid();
}

template <typename F>
auto Store::Guarded(F&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const SQLite::Exception& e) {
    int code = e.getErrorCode() & 0xff;
    if (code != SQLITE_CORRUPT && code != SQLITE_NOTADB) throw;
    // A read found damage that the check at open did not (or did not look for: the file was
    // closed cleanly). Say so in health, and tell the caller what to do.
    std::string problem = e.what();
    if (integrity().rfind("failed", 0) != 0) {
      spdlog::error("store: the database file is damaged ({}); run `agentmux doctor`", problem);
      SetIntegrity("failed: " + problem);
    }
    throw StoreCorrupt("the database file is damaged (" + problem +
                       "): stop the daemon and run `agentmux doctor --repair`, which "
                       "backs the file up and recovers what it can");
  }
}

void Store::SetMetadata(Database& db, const std::string& session_id, const std::string& key, const std::string& value) {
  Statement st(db, "INSERT OR REPLACE INTO session_metadata (session_id, key, value) VALUES (?, ?, ?)");
  st.bind(1, session_id);
  st.bind(2, key);
  st.bind(3, RedactText(value));
  st.exec();
}

void Store::DeleteSession(Database& db, const std::string& session_id) {
  Statement st(db, "DELETE FROM sessions WHERE id = ?");
  st.bind(1, session_id);
  st.exec();
}

Result<std::string> Store::ResolveId(const std::string& prefix) {
  return Guarded([&]() -> Result<std::string> {
    if (prefix.empty()) return Error::InvalidArgument("invalid_id", "a session id (or a unique prefix of one) is required");
    for (char c : prefix) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-')
        return Error::NotFound("session_not_found", "no session has the id '" + prefix +
                                                        "' (ids are hex; `agentmux ls` lists sessions)");
    }
    Statement q(*reader_db_, "SELECT id FROM sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT 6");
    std::string lower = prefix;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    q.bind(1, lower);
    q.bind(2, lower + "\x7f");
    std::vector<std::string> ids;
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    if (ids.empty())
      return Error::NotFound("session_not_found",
                             "no session has an id starting with '" + prefix + "' (`agentmux ls` lists sessions)");
    if (ids.size() > 1) {
      std::string list;
      for (size_t i = 0; i < std::min<size_t>(ids.size(), 5); ++i) list += "\n  " + ids[i];
      return Error::Conflict("ambiguous_id",
                             "the prefix '" + prefix + "' matches several sessions; type more characters:" + list);
    }
    return ids.front();
  });
}

Result<SessionRecord> Store::GetSession(const std::string& id) {
  return Guarded([&]() -> Result<SessionRecord> {
    Statement q(*reader_db_, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return Error::NotFound("session_not_found", "no session with id " + id);
    SideTables side(*reader_db_);
    return ReadSessionRow(side, q);
  });
}

std::vector<SessionRecord> Store::ListSessions(const SessionFilter& f) {
  return Guarded([&]() -> std::vector<SessionRecord> {
    std::string sql = std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE 1=1";
    std::vector<std::string> args;
    if (f.status) sql += " AND status = ?", args.push_back(*f.status);
    if (f.tool) sql += " AND tool = ?", args.push_back(*f.tool);
    if (f.project) sql += " AND project_path = ?", args.push_back(*f.project);
    if (f.before_id) sql += " AND id < ?", args.push_back(*f.before_id);
    if (f.spec) {
      // "028" finds sessions stored with "028-cli-ui" and the other way round.
      sql += " AND id IN (SELECT session_id FROM session_specs WHERE spec_id = ? OR spec_id LIKE ? || '-%' OR ? LIKE spec_id || '-%')";
      args.push_back(*f.spec);
      args.push_back(*f.spec);
      args.push_back(*f.spec);
    }
    sql += " ORDER BY id DESC LIMIT " + std::to_string(std::clamp(f.limit, 1, 10000));
    Statement q(*reader_db_, sql);
    for (size_t i = 0; i < args.size(); ++i) q.bind(static_cast<int>(i + 1), args[i]);
    std::vector<SessionRecord> out;
    SideTables side(*reader_db_);
    while (q.executeStep()) out.push_back(ReadSessionRow(side, q));
    return out;
  });
}

std::vector<std::string> Store::SessionIdsWithStatus(const std::vector<std::string>& statuses) {
  return Guarded([&]() -> std::vector<std::string> {
    std::vector<std::string> out;
    for (const auto& s : statuses) {
      Statement q(*reader_db_, "SELECT id FROM sessions WHERE status = ? ORDER BY id");
      q.bind(1, s);
      while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    }
    return out;
  });
}

std::vector<LogChunkPtr> Store::ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks,
                                         size_t max_bytes) {
  return Guarded([&]() -> std::vector<LogChunkPtr> {
    Statement q(*reader_db_,
                "SELECT seq, offset, ts, level, data, line_count FROM session_logs WHERE session_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?");
    q.bind(1, id);
    q.bind(2, after_seq);
    q.bind(3, static_cast<int64_t>(max_chunks));
    std::vector<LogChunkPtr> out;
    size_t bytes = 0;
    while (q.executeStep()) {
      auto c = std::make_shared<LogChunk>();
      c->session_id = id;
      c->seq = q.getColumn(0).getInt64();
      c->offset = q.getColumn(1).getInt64();
      c->ts = q.getColumn(2).getInt64();
      c->level = q.getColumn(3).getString();
      const auto& col = q.getColumn(4);
      c->data.assign(static_cast<const char*>(col.getBlob()), static_cast<size_t>(col.getBytes()));
      c->line_count = q.getColumn(5).getInt64();
      bytes += c->data.size();
      out.push_back(std::move(c));
      if (bytes >= max_bytes) break;
    }
    return out;
  });
}

int64_t Store::TailStartSeq(const std::string& id, int64_t lines) {
  return Guarded([&]() -> int64_t {
    Statement q(*reader_db_,
                "SELECT seq, line_count, substr(data, -1) = x'0a' FROM session_logs WHERE session_id = ? ORDER BY seq DESC");
    q.bind(1, id);
    int64_t seen = 0;
    int64_t seq = 1;
    bool first = true;
    while (q.executeStep()) {
      seq = q.getColumn(0).getInt64();
      int64_t n = q.getColumn(1).getInt64();
      // A log that does not end in a newline has one more (partial) line.
      if (first && q.getColumn(2).getInt() == 0) n += 1;
      first = false;
      seen += n;
      // `lines` lines need `lines` newlines after the start point, plus the one ending the line before.
      if (seen > lines) return seq;
    }
    return seq;
  });
}

std::pair<int64_t, int64_t> Store::LogExtent(const std::string& id) {
  return Guarded([&]() -> std::pair<int64_t, int64_t> {
    Statement q(*reader_db_,
                "SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(offset + length(data)), 0) FROM session_logs WHERE session_id = ?");
    q.bind(1, id);
    q.executeStep();
    return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
  });
}

std::vector<EventRecord> Store::ReadEvents(const std::string& id, int64_t after_id, int limit) {
  return Guarded([&]() -> std::vector<EventRecord> {
    Statement q(*reader_db_,
                "SELECT id, event_type, data, timestamp FROM session_events WHERE session_id = ? AND id > ? ORDER BY id "
                "LIMIT ?");
    q.bind(1, id);
    q.bind(2, after_id);
    q.bind(3, limit);
    std::vector<EventRecord> out;
    while (q.executeStep()) {
      EventRecord e;
      e.id = q.getColumn(0).getInt64();
      e.session_id = id;
      e.type = q.getColumn(1).getString();
      e.data = q.getColumn(2).isNull() ? nlohmann::json(nullptr)
                                       : nlohmann::json::parse(q.getColumn(2).getString(), nullptr, false);
      e.ts = ParseRfc3339(q.getColumn(3).getString()).value_or(0);
      out.push_back(std::move(e));
    }
    return out;
  });
}

int Store::schema_version() {
  return Guarded([&] { return reader_db_->execAndGet("PRAGMA user_version").getInt(); });
}

}  // namespace agentmux
