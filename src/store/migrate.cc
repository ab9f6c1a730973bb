#include "store/migrate.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace agentmux {

using SQLite::Database;
using SQLite::Statement;

void ApplyPragmas(Database& db) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA foreign_keys=ON");
  db.exec("PRAGMA busy_timeout=5000");
}

namespace {

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

}  // namespace

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

}  // namespace agentmux
