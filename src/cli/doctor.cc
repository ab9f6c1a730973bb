// `agentmux doctor`: checks the database file and, with --repair, backs it up and recovers what
// SQLite can still read into a new file (issue 11 item 10: a truncated or damaged file used
// to stop the daemon from starting with no way forward).
#include "cli/doctor.h"

#include <fcntl.h>
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
#include "store/doctor.h"
#include "store/migrate.h"

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

json ToJson(const DatabaseCheck& c) {
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
  DatabaseCheck before = CheckDatabase(db);
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
  bool usable = SalvageDatabase(backup, recovered, &salvage_error);
  DatabaseCheck after;
  if (usable) {
    after = CheckDatabase(recovered);
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
