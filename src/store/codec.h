// The SQLite row codec: how a SessionRecord is bound to and read from the `sessions` row and its
// side tables, and the StoreTxn of the SQLite backend. Every free text is redacted on its way in.
// Not thread-safe: a codec object belongs to one connection's thread.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/store.h"

namespace agentmux {

// The StoreTxn of the SQLite backend, over a connection inside an open transaction.
class SqliteTxn final : public StoreTxn {
 public:
  explicit SqliteTxn(SQLite::Database& db) : db_(db) {}
  void InsertSession(const SessionRecord& s) override;
  void UpdateSession(const SessionRecord& s) override;
  int64_t InsertEvent(const std::string& session_id, const std::string& type, const nlohmann::json& data,
                      int64_t ts_ms) override;
  void SetMetadata(const std::string& session_id, const std::string& key, const std::string& value) override;
  void DeleteSession(const std::string& session_id) override;
  void InsertCheckpoint(const CheckpointRecord& c) override;

 private:
  SQLite::Database& db_;
};

// The columns of `sessions` in the order ReadSessionRow expects them.
extern const char* const kSessionColumns;

// The columns of `checkpoints` in the order ReadCheckpointRow expects them.
extern const char* const kCheckpointColumns;
CheckpointRecord ReadCheckpointRow(SQLite::Statement& q);

// The per-session side tables (specs, metadata), prepared once per listing rather than once per row.
struct SideTables {
  explicit SideTables(SQLite::Database& db);
  SQLite::Statement specs;
  SQLite::Statement meta;
};

// The session of the current row of `q` (a SELECT of kSessionColumns), with its specs and metadata.
SessionRecord ReadSessionRow(SideTables& side, SQLite::Statement& q);

}  // namespace agentmux
