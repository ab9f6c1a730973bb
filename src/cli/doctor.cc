// `agentmux doctor`: checks the database file and, with --repair, backs it up and recovers what
// SQLite's `.recover` can read into a new file (issue 11 item 10: a truncated or damaged file used
// to stop the daemon from starting with no way forward).
#include "cli/doctor.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <limits>
#include <set>
#include <spdlog/spdlog.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "store/store.h"

namespace agentmux {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The pid of the daemon holding <home>/daemon.pid, or 0 when none runs.
int RunningDaemon(const Home& home) {
  int fd = ::open(home.pid_lock().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int pid = 0;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0) pid = std::atoi(buf);
    if (pid <= 0) pid = -1;
  }
  ::close(fd);
  return pid;
}

struct Check {
  bool opened = false;
  std::vector<std::string> problems;  // integrity_check's lines, or why the file cannot be read
  int64_t sessions = -1, chunks = -1, events = -1;
};

Check CheckFile(const std::string& path) {
  Check c;
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
// at an error, the scan jumps ahead (1, 2, 4, … rows) until it reads again. Rows whose session was
// lost are dropped, so what is kept is consistent. (The sqlite3 shell's `.recover` needs the
// sqlite_dbpage table, which Debian's build lacks.) Returns false, with `error`, when not even the
// schema can be read.
bool Salvage(const std::string& broken, const std::string& out, std::string* error) {
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
          read.reset();
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
          read.reset();
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

json ToJson(const Check& c) {
  return {{"ok", c.problems.empty()}, {"problems", c.problems}, {"sessions", c.sessions},
          {"log_chunks", c.chunks}, {"events", c.events}};
}

}  // namespace

int RunDoctor(const Home& home, bool repair, bool json_out) {
  const std::string db = home.db();
  if (!fs::exists(db)) {
    std::printf("%s does not exist yet: nothing to check (the daemon creates it at its first start)\n", db.c_str());
    return 0;
  }
  Check before = CheckFile(db);
  json report = {{"database", db}, {"check", ToJson(before)}};
  if (!repair) {
    if (json_out) {
      std::printf("%s\n", report.dump(2).c_str());
    } else if (before.problems.empty()) {
      std::printf("%s is healthy: %lld sessions, %lld log chunks, %lld events\n", db.c_str(),
                  static_cast<long long>(before.sessions), static_cast<long long>(before.chunks),
                  static_cast<long long>(before.events));
    } else {
      std::printf("%s is damaged:\n", db.c_str());
      for (const auto& p : before.problems) std::printf("  %s\n", p.c_str());
      std::printf("Run `agentmux doctor --repair` (with the daemon stopped): it backs the file up and recovers "
                  "what it can into a new one.\n");
    }
    return before.problems.empty() ? 0 : 1;
  }

  if (int pid = RunningDaemon(home); pid != 0) {
    std::fprintf(stderr, "agentmux: a daemon (pid %d) is using %s; stop it first (kill %d), then run `agentmux "
                         "doctor --repair` again\n", pid, db.c_str(), pid);
    return 1;
  }
  if (before.problems.empty()) {
    std::printf("%s is healthy; nothing to repair\n", db.c_str());
    return 0;
  }
  // Keep the damaged file (and its WAL, which may hold the newest commits) as it was.
  std::string stamp = Rfc3339(NowMs());
  for (char& ch : stamp)
    if (ch == ':') ch = '-';
  std::string backup = db + ".broken-" + stamp;
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (!fs::exists(db + suffix)) continue;
    fs::copy_file(db + suffix, backup + suffix, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      std::fprintf(stderr, "agentmux: cannot back up %s%s: %s (nothing was changed)\n", db.c_str(), suffix,
                   ec.message().c_str());
      return 1;
    }
  }
  std::string recovered = db + ".recovered";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(recovered + suffix, ec);
  std::string salvage_error;
  bool usable = Salvage(backup, recovered, &salvage_error);
  Check after;
  if (usable) {
    after = CheckFile(recovered);
    usable = after.sessions >= 0 && after.problems.empty();
  }
  if (!usable) spdlog::warn("doctor: recovery failed: {}", salvage_error);
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(db + suffix, ec);
  fs::remove(db + ".clean", ec);  // the next start checks the file
  fs::remove(recovered + ".clean", ec);
  if (usable) {
    fs::rename(recovered, db, ec);
  } else {
    fs::remove(recovered, ec);
    fs::remove(db, ec);  // the next start creates an empty database; the backup keeps the old one
  }
  report["backup"] = backup;
  report["recovered"] = usable ? ToJson(after) : json(nullptr);
  if (json_out) {
    std::printf("%s\n", report.dump(2).c_str());
  } else if (usable) {
    std::printf("Backed up the damaged file to %s\nRecovered %lld sessions, %lld log chunks, %lld events into %s.\n"
                "Start agentmux again; compare with the backup if something is missing.\n",
                backup.c_str(), static_cast<long long>(after.sessions), static_cast<long long>(after.chunks),
                static_cast<long long>(after.events), db.c_str());
  } else {
    std::printf("Backed up the damaged file to %s\nNothing could be recovered from it (not even its schema); "
                "the next start creates an empty database.\n",
                backup.c_str());
  }
  return usable ? 0 : 1;
}

}  // namespace agentmux
