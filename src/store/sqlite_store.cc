#include "store/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/clock.h"
#include "store/codec.h"
#include "store/fault_vfs.h"
#include "store/migrate.h"

namespace agentmux {

using SQLite::Database;
using SQLite::Statement;

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, StoreOptions options) {
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
    std::unique_ptr<SqliteStore> store(
        new SqliteStore(std::move(writer), std::move(reader), std::move(clean_marker), std::move(options)));
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
    return std::unique_ptr<Store>(std::move(store));
  } catch (const std::exception& e) {
    return Error::Internal("cannot open database " + path + ": " + e.what() +
                           " (`agentmux doctor` checks the file; `agentmux doctor --repair` backs it up and "
                           "recovers what it can)");
  }
}

SqliteStore::SqliteStore(std::unique_ptr<Database> writer, std::unique_ptr<Database> reader, std::string clean_marker,
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
        static_cast<SqliteStore*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      this);
  writer_db_->exec("PRAGMA journal_size_limit=67108864");  // a WAL grown by a flood shrinks back
  writer_ = std::thread([this] { WriterLoop(); });
}

void SqliteStore::MaybeCheckpoint(bool flood) {
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

void SqliteStore::StartCheckpointer(const std::string& path) {
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

SqliteStore::~SqliteStore() {
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

std::string SqliteStore::integrity() const {
  std::lock_guard lock(integrity_mu_);
  return integrity_;
}

void SqliteStore::SetIntegrity(std::string state) {
  std::lock_guard lock(integrity_mu_);
  integrity_ = std::move(state);
}

template <typename F>
auto SqliteStore::Guarded(F&& read) -> decltype(read()) {
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

Result<std::string> SqliteStore::ResolveId(const std::string& ref) {
  return Guarded([&]() -> Result<std::string> {
    if (ref.empty()) return Error::InvalidArgument("invalid_id", "a session id, name or unique id prefix is required");
    // `last`, `-1`, `-2` …: the most recent sessions a person started (not a plan's tasks).
    int64_t nth = 0;
    if (ref == "last") nth = 1;
    else if (ref.size() > 1 && ref[0] == '-' && ref.size() < 8 &&
             std::all_of(ref.begin() + 1, ref.end(), [](char c) { return c >= '0' && c <= '9'; }))
      nth = std::stoll(ref.substr(1));
    if (nth > 0) {
      Statement q(*reader_db_,
                  "SELECT id FROM sessions s WHERE parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM sessions p "
                  "WHERE p.id = s.parent_id AND p.kind != 'agent') ORDER BY id DESC LIMIT 1 OFFSET ?");
      q.bind(1, nth - 1);
      if (q.executeStep()) return q.getColumn(0).getString();
      return Error::NotFound("session_not_found", nth == 1 ? std::string("there are no sessions yet")
                                                           : "there are fewer than " + std::to_string(nth) + " sessions");
    }
    // A name: the live session of that name, else the newest that had it.
    {
      Statement q(*reader_db_,
                  "SELECT id FROM sessions WHERE name = ? ORDER BY status IN ('pending','running','paused') DESC, "
                  "id DESC LIMIT 1");
      q.bind(1, ref);
      if (q.executeStep()) return q.getColumn(0).getString();
    }
    bool hex = std::all_of(ref.begin(), ref.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '-'; });
    if (!hex)
      return Error::NotFound("session_not_found", "no session is named '" + ref + "' (`agentmux ls` lists sessions)");
    std::string lower = ref;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    // A prefix of the id (its time end) or of its last group (the random end, as `ls` shows it).
    Statement q(*reader_db_,
                "SELECT id FROM sessions WHERE id >= ?1 AND id < ?2 UNION "
                "SELECT id FROM sessions WHERE length(?1) <= 12 AND substr(id, 25, length(?1)) = ?1 ORDER BY id LIMIT 6");
    q.bind(1, lower);
    q.bind(2, lower + "\x7f");
    std::vector<std::string> ids;
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    if (ids.empty())
      return Error::NotFound("session_not_found",
                             "no session has the name or an id starting with '" + ref + "' (`agentmux ls` lists sessions)");
    if (ids.size() > 1) {
      std::string list;
      for (size_t i = 0; i < std::min<size_t>(ids.size(), 5); ++i) list += "\n  " + ids[i];
      return Error::Conflict("ambiguous_id",
                             "'" + ref + "' matches several sessions; type more characters or use the name:" + list);
    }
    return ids.front();
  });
}

bool SqliteStore::NameTaken(const std::string& name, bool live_only) {
  return Guarded([&] {
    Statement q(*reader_db_, std::string("SELECT 1 FROM sessions WHERE name = ?") +
                                 (live_only ? " AND status IN ('pending', 'running', 'paused')" : "") + " LIMIT 1");
    q.bind(1, name);
    return q.executeStep();
  });
}

Result<SessionRecord> SqliteStore::GetSession(const std::string& id) {
  return Guarded([&]() -> Result<SessionRecord> {
    Statement q(*reader_db_, std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return Error::NotFound("session_not_found", "no session with id " + id);
    SideTables side(*reader_db_);
    return ReadSessionRow(side, q);
  });
}

std::vector<SessionRecord> SqliteStore::ListSessions(const SessionFilter& f) {
  return Guarded([&]() -> std::vector<SessionRecord> {
    std::string sql = std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE 1=1";
    std::vector<std::string> args;
    if (f.status) sql += " AND status = ?", args.push_back(*f.status);
    if (f.tool) sql += " AND tool = ?", args.push_back(*f.tool);
    if (f.project) sql += " AND project_path = ?", args.push_back(*f.project);
    if (f.kind) sql += " AND kind = ?", args.push_back(*f.kind);
    if (f.parent_id) sql += " AND parent_id = ?", args.push_back(*f.parent_id);
    if (f.before_id) sql += " AND id < ?", args.push_back(*f.before_id);
    if (f.attention) sql += " AND attention IS NOT NULL";
    if (f.live) sql += " AND status IN ('pending', 'running', 'paused')";
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

std::vector<std::string> SqliteStore::SessionIdsWithStatus(const std::vector<std::string>& statuses) {
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

std::vector<LogChunkPtr> SqliteStore::ReadLogs(const std::string& id, int64_t after_seq, size_t max_chunks,
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

int64_t SqliteStore::TailStartSeq(const std::string& id, int64_t lines) {
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

std::pair<int64_t, int64_t> SqliteStore::LogExtent(const std::string& id) {
  return Guarded([&]() -> std::pair<int64_t, int64_t> {
    Statement q(*reader_db_,
                "SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(offset + length(data)), 0) FROM session_logs WHERE session_id = ?");
    q.bind(1, id);
    q.executeStep();
    return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
  });
}

std::vector<EventRecord> SqliteStore::ReadEvents(const std::string& id, int64_t after_id, int limit) {
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

std::vector<CheckpointRecord> SqliteStore::ListCheckpoints(const std::string& session_id) {
  return Guarded([&]() -> std::vector<CheckpointRecord> {
    Statement q(*reader_db_, std::string("SELECT ") + kCheckpointColumns +
                                 " FROM checkpoints WHERE session_id = ? ORDER BY n");
    q.bind(1, session_id);
    std::vector<CheckpointRecord> out;
    while (q.executeStep()) out.push_back(ReadCheckpointRow(q));
    return out;
  });
}

Result<CheckpointRecord> SqliteStore::GetCheckpoint(const std::string& prefix) {
  return Guarded([&]() -> Result<CheckpointRecord> {
    if (prefix.empty() || prefix.size() > 36 || prefix.find_first_not_of("0123456789abcdef-") != std::string::npos)
      return Error::NotFound("checkpoint_not_found", "no checkpoint '" + prefix + "' (ids look like 01a2b3c4-…)");
    Statement q(*reader_db_, std::string("SELECT ") + kCheckpointColumns +
                                 " FROM checkpoints WHERE (id >= ?1 AND id < ?1 || 'g') OR "
                                 "(length(?1) <= 12 AND substr(id, 25, length(?1)) = ?1) ORDER BY id LIMIT 2");
    q.bind(1, prefix);
    std::vector<CheckpointRecord> found;
    while (q.executeStep()) found.push_back(ReadCheckpointRow(q));
    if (found.empty()) return Error::NotFound("checkpoint_not_found", "no checkpoint '" + prefix + "'; list them with `agentmux checkpoints SESSION`");
    if (found.size() > 1)
      return Error::Conflict("ambiguous_id", "checkpoint id '" + prefix + "' matches more than one; give more of it");
    return found[0];
  });
}

int SqliteStore::schema_version() {
  return Guarded([&] { return reader_db_->execAndGet("PRAGMA user_version").getInt(); });
}

}  // namespace agentmux
