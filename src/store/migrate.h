// Schema migrations of the SQLite store: numbered SQL files (src/store/migrations/NNNN_*.sql,
// embedded at build time) recorded in PRAGMA user_version; a seed-001-shaped database
// (sessions.spec_id, one log row per line) converted in place in one transaction.
#pragma once

#include "base/result.h"

namespace SQLite {
class Database;
}

namespace agentmux {

// WAL, synchronous=NORMAL, foreign keys, a 5 s busy timeout: every connection's settings.
void ApplyPragmas(SQLite::Database& db);
// Brings `db` to LatestSchemaVersion(). Errors: kInternal for a schema newer than this agentmux.
// Throws SQLite::Exception on I/O failures.
Status Migrate(SQLite::Database& db);

// The SQL of migration `version` (1-based) embedded from src/store/migrations/, or nullptr.
const char* MigrationSql(int version);
int LatestSchemaVersion();
const char* LegacySeed001Sql();

}  // namespace agentmux
