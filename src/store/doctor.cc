#include "store/doctor.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <limits>
#include <set>

#include "store/store.h"

namespace agentmux {

DatabaseCheck CheckDatabase(const std::string& path) {
  DatabaseCheck c;
  try {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    c.opened = true;
    SQLite::Statement q(db, "PRAGMA integrity_check(20)");
    while (q.executeStep()) {
      std::string line = q.getColumn(0).getString();
      if (line != "ok") c.problems.push_back(line);
    }
    auto count = [&](const char* table) -> int64_t {
      try {
        return db.execAndGet(std::string("SELECT count(*) FROM ") + table).getInt64();
      } catch (const std::exception& e) {
        c.problems.push_back(std::string("reading ") + table + ": " + e.what());
        return -1;
      }
    };
    c.sessions = count("sessions");
    c.chunks = count("session_logs");
    c.events = count("session_events");
  } catch (const std::exception& e) {
    c.problems.push_back(e.what());
  }
  return c;
}

// Copies every row still readable from `broken` into a new database at `out` created with this
// agentmux's schema. A damaged b-tree page ends a scan, so each table is read in rowid order and,
// at an error, the scan jumps ahead (1, 2, 4, … rows) until it reads again; rows it jumped over are
// then fetched one by one through the rowids the table's indexes still list. Rows whose session was
// lost are dropped, so what is kept is consistent. (The sqlite3 shell's `.recover` needs the
// sqlite_dbpage table, which Debian's build lacks.) Returns false, with `error`, when not even the
// schema can be read.
bool SalvageDatabase(const std::string& broken, const std::string& out, std::string* error) {
  {
    auto fresh = Store::Open(out);
    if (!fresh.ok()) {
      *error = fresh.error().message;
      return false;
    }
  }
  std::string stage = "opening";
  try {
    SQLite::Database src(broken, SQLite::OPEN_READONLY);
    SQLite::Database dst(out, SQLite::OPEN_READWRITE);
    dst.exec("PRAGMA foreign_keys=OFF");
    for (const char* table : {"sessions", "session_specs", "session_metadata", "session_events", "session_logs"}) {
      stage = std::string("reading the columns of ") + table;
      // The columns both schemas have.
      std::vector<std::string> shared;
      {
        std::set<std::string> have;
        try {
          SQLite::Statement old(src, std::string("SELECT name FROM pragma_table_info('") + table + "')");
          while (old.executeStep()) have.insert(old.getColumn(0).getString());
        } catch (const std::exception& e) {
          if (std::string(table) == "sessions") throw;
          continue;
        }
        SQLite::Statement info(dst, std::string("SELECT name FROM pragma_table_info('") + table + "')");
        while (info.executeStep())
          if (have.count(info.getColumn(0).getString())) shared.push_back(info.getColumn(0).getString());
      }
      if (shared.empty()) continue;
      std::string list, quoted;
      for (const auto& c : shared) {
        list += (list.empty() ? "" : ", ") + c;
        quoted += std::string(quoted.empty() ? "" : " || ',' || ") + "quote(" + c + ")";
      }
      stage = std::string("copying ") + table;
      // Each row as an SQL tuple literal (quote() keeps blobs and NULLs exact), read past damage.
      SQLite::Statement read(src, std::string("SELECT rowid, ") + quoted + " FROM " + table +
                                      " WHERE rowid > ? ORDER BY rowid LIMIT 256");
      dst.exec("BEGIN");
      int64_t last = std::numeric_limits<int64_t>::min(), skip = 1;
      for (int failures = 0; failures < 4096;) {
        std::vector<std::pair<int64_t, std::string>> rows;
        try {
          read.tryReset();
          read.bind(1, last);
          while (read.executeStep()) rows.emplace_back(read.getColumn(0).getInt64(), read.getColumn(1).getString());
        } catch (const std::exception&) {
          // Keep what was read before the damage, then jump ahead.
        }
        for (const auto& [rowid, values] : rows)
          dst.exec(std::string("INSERT OR IGNORE INTO ") + table + " (rowid, " + list + ") VALUES (" +
                   std::to_string(rowid) + ", " + values + ")");
        if (!rows.empty()) {
          last = rows.back().first;
          skip = 1;
          if (rows.size() == 256) continue;
        }
        // Fewer than a page: the end, or damage. Probe past it.
        bool more = false;
        try {
          read.tryReset();
          read.bind(1, last);
          more = read.executeStep();
        } catch (const std::exception&) {
          more = true;
        }
        if (!more) break;
        ++failures;
        if (last == std::numeric_limits<int64_t>::min()) last = 0;
        last += skip;
        skip = std::min<int64_t>(skip * 2, int64_t{1} << 40);
      }
      // Rows the scan could not reach (on or past a damaged page) may still be listed by an index
      // of the table, whose pages are elsewhere: fetch each of those by rowid, one at a time.
      stage = std::string("copying ") + table + " by its indexes";
      std::set<int64_t> listed;
      std::vector<std::string> indexes;
      try {
        SQLite::Statement list_indexes(src, std::string("SELECT name FROM pragma_index_list('") + table + "')");
        while (list_indexes.executeStep()) indexes.push_back(list_indexes.getColumn(0).getString());
      } catch (const std::exception&) {
      }
      for (const auto& index : indexes) {
        try {
          SQLite::Statement ids(src, std::string("SELECT rowid FROM ") + table + " INDEXED BY \"" + index + "\"");
          while (ids.executeStep()) listed.insert(ids.getColumn(0).getInt64());
        } catch (const std::exception&) {
          // A damaged index lists what it can.
        }
      }
      SQLite::Statement copied(dst, std::string("SELECT 1 FROM ") + table + " WHERE rowid = ?");
      SQLite::Statement one(src, std::string("SELECT ") + quoted + " FROM " + table + " WHERE rowid = ?");
      for (int64_t rowid : listed) {
        copied.tryReset();
        copied.bind(1, rowid);
        if (copied.executeStep()) continue;
        try {
          one.tryReset();
          one.bind(1, rowid);
          if (!one.executeStep()) continue;
          dst.exec(std::string("INSERT OR IGNORE INTO ") + table + " (rowid, " + list + ") VALUES (" +
                   std::to_string(rowid) + ", " + one.getColumn(0).getString() + ")");
        } catch (const std::exception&) {
          // This row was on a damaged page: lost.
        }
      }
      dst.exec("COMMIT");
    }
    stage = "dropping rows whose session was lost";
    for (const char* table : {"session_specs", "session_metadata", "session_events", "session_logs"})
      dst.exec(std::string("DELETE FROM ") + table + " WHERE session_id NOT IN (SELECT id FROM sessions)");
    return true;
  } catch (const std::exception& e) {
    *error = stage + ": " + e.what();
    return false;
  }
}

}  // namespace agentmux
