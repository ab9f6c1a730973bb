// Checking and salvaging a SQLite store file (`agentmux doctor`, issue 11 item 10). Each function
// opens its own connections; call them with no daemon using the file. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace agentmux {

struct DatabaseCheck {
  bool opened = false;
  std::vector<std::string> problems;  // PRAGMA integrity_check's lines, or why the file cannot be read
  int64_t sessions = -1, chunks = -1, events = -1;  // rows readable, -1 when the table cannot be read
};

// PRAGMA integrity_check (first 20 problems) and row counts of the file at `path`, read-only.
DatabaseCheck CheckDatabase(const std::string& path);

// Copies every row still readable from `broken` into a new database at `out` created with this
// agentmux's schema. A damaged b-tree page ends a scan, so each table is read in rowid order and,
// at an error, the scan jumps ahead (1, 2, 4, … rows) until it reads again. Rows whose session was
// lost are dropped, so what is kept is consistent. (The sqlite3 shell's `.recover` needs the
// sqlite_dbpage table, which Debian's build lacks.) Returns false, with `error`, when not even the
// schema can be read.
bool SalvageDatabase(const std::string& broken, const std::string& out, std::string* error);

}  // namespace agentmux
