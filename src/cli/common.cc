#include "cli/common.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "agents/transcript.h"
#include "api/api.h"
#include "base/clock.h"
#include "cli/home.h"
#include "net/client.h"

namespace agentmux {
using nlohmann::json;

namespace {

std::string SelfExe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "agentmux" : p.string();
}

// Spawns `agentmux daemon` detached (own session, output to daemon.log).
void SpawnDaemon(const Home& home) {
  pid_t pid = ::fork();
  if (pid < 0) Fail(std::string("cannot start the daemon: fork: ") + std::strerror(errno));
  if (pid > 0) {
    int status;
    ::waitpid(pid, &status, 0);  // the intermediate child exits at once
    return;
  }
  ::setsid();
  if (::fork() != 0) ::_exit(0);  // the grandchild is re-parented to init: no zombie in the client
  int null_fd = ::open("/dev/null", O_RDONLY);
  int log_fd = ::open(home.log().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  ::close_range(3, ~0U, 0);
  std::string exe = SelfExe();
  std::string home_dir = home.dir;
  char* argv[] = {const_cast<char*>(exe.c_str()), const_cast<char*>("daemon"), const_cast<char*>("--home"),
                  const_cast<char*>(home_dir.c_str()), nullptr};
  ::execv(exe.c_str(), argv);
  ::_exit(127);
}

// A client connected to a running daemon, started if needed (at most once across racing clients:
// the one that takes daemon.lock spawns; the others wait for the socket).
}  // namespace

DaemonClient Connect(const Globals& g) {
  auto home = ResolveHome(g.home_flag);
  if (!home.ok()) Fail(home.error().message);
  DaemonClient client(home->socket());
  auto ping = [&] { return client.Request("GET", "/api/health"); };
  auto first = ping();
  if (first.ok()) return client;
  if (first.error().code != "daemon_unreachable") Fail(first.error().message, kExitUnreachable);
  // daemon.lock serialises starters: the holder checks again, spawns, and keeps the lock until the
  // daemon answers, so racing clients start exactly one daemon.
  int lock_fd = ::open(home->lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) Fail("cannot open " + home->lock() + ": " + std::strerror(errno));
  int64_t deadline = MonotonicMs() + 10000;
  bool locked = false;
  while (!(locked = ::flock(lock_fd, LOCK_EX | LOCK_NB) == 0) && MonotonicMs() < deadline) {
    if (ping().ok()) break;  // another client started it meanwhile
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool up = ping().ok();
  std::error_code size_ec;
  auto log_start = std::filesystem::file_size(home->log(), size_ec);
  if (size_ec) log_start = 0;
  // The daemon's last error line of this start (e.g. a damaged database → doctor), if any.
  auto start_error = [&] {
    std::string why;
    std::ifstream log(home->log());
    log.seekg(static_cast<std::streamoff>(log_start));  // this start's lines only
    for (std::string line; std::getline(log, line);)
      if (line.find("[error]") != std::string::npos) why = line.substr(line.find("[error]") + 8);
    return why;
  };
  // True once the spawned daemon has given up: it logged an error and holds no daemon.pid lock.
  auto gave_up = [&] {
    if (start_error().empty()) return false;
    int fd = ::open(home->pid_lock().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;
    bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
    ::close(fd);
    return free;
  };
  if (locked && !up) {
    SpawnDaemon(*home);
    int64_t next_check = MonotonicMs() + 200;
    while (!(up = ping().ok()) && MonotonicMs() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (MonotonicMs() >= next_check) {
        if (gave_up()) break;
        next_check = MonotonicMs() + 200;
      }
    }
  }
  ::close(lock_fd);  // releases the lock
  if (up || ping().ok()) return client;
  // Say why, in the daemon's words.
  std::string why = start_error();
  if (!why.empty()) Fail("the agentmux daemon could not start: " + why + " (log: " + home->log() + ")", kExitUnreachable);
  Fail("the agentmux daemon did not come up within 10 s; see " + home->log(), kExitUnreachable);
}

json Call(DaemonClient& c, const std::string& method, const std::string& target, const json& body) {
  auto r = c.Request(method, target, body.is_null() ? "" : body.dump());
  if (!r.ok()) Fail(r.error().message, kExitUnreachable);
  json j = r->json();
  if (r->status >= 400) {
    std::string msg = j.is_object() && j.contains("error") ? j["error"].value("message", r->body) : r->body;
    Fail(msg);
  }
  return j;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '&' || c == '?' || c == '#' || c == '+' || c == ' ' || c == '=' || c == '/') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Str(const json& j, const char* key, const std::string& dflt) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : dflt;
}


std::string HumanDuration(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%ldm%02lds", long(s / 60), long(s % 60));
  else std::snprintf(buf, sizeof buf, "%ldh%02ldm", long(s / 3600), long((s % 3600) / 60));
  return buf;
}

std::string Ago(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) return "-";
  int64_t s = (NowMs() - *t) / 1000;
  if (s < 60) return std::to_string(std::max<int64_t>(s, 0)) + "s ago";
  if (s < 3600) return std::to_string(s / 60) + "m ago";
  if (s < 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

std::string Excerpt(std::string s, size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max - 1) + "…";
  return s;
}

std::string Label(const json& s) {
  std::string name = Str(s, "name"), id = ShortId(Str(s, "id"));
  return name.empty() ? id : name + " (" + id + ")";
}

void Acknowledge(DaemonClient& c, const json& s) {
  if (s.contains("attention") && s["attention"].is_object())
    (void)c.Request("POST", "/api/sessions/" + Str(s, "id") + "/ack", "{}");
}

json WaitStopped(DaemonClient& c, json s, int64_t grace_ms) {
  // Like `docker stop`: wait until the process group is gone.
  int64_t start = MonotonicMs(), deadline = start + grace_ms + 5000;
  bool tty = isatty(STDERR_FILENO);
  int64_t shown = -1;
  while (!IsTerminalStatus(Str(s, "status")) && MonotonicMs() < deadline) {
    int64_t left = (start + grace_ms - MonotonicMs() + 999) / 1000;
    if (tty && left != shown) {
      shown = left;
      if (left > 0) std::fprintf(stderr, "\ragentmux: stopping %s: SIGTERM sent, SIGKILL in %llds \033[K", Label(s).c_str(), static_cast<long long>(left));
      else std::fprintf(stderr, "\ragentmux: stopping %s: SIGKILL sent \033[K", Label(s).c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s = Call(c, "GET", "/api/sessions/" + Str(s, "id"));
  }
  if (tty && shown >= 0) std::fprintf(stderr, "\r\033[K");
  return s;
}

bool IsTerminalStatus(const std::string& s) {
  return s == "completed" || s == "failed" || s == "cancelled" || s == "interrupted";
}

// The exit code a shell would show for how the session ended.
int SessionExitCode(const json& s) {
  std::string status = Str(s, "status");
  if (s.contains("exit_code") && s["exit_code"].is_number()) {
    int code = s["exit_code"].get<int>();
    if (status == "failed" && code == 0) return 1;  // e.g. the agent reported an error
    return code;
  }
  if (s.contains("signal") && s["signal"].is_string()) {
    std::string sig = s["signal"];
    for (int n = 1; n < 65; ++n) {
      const char* abbrev = sigabbrev_np(n);
      if (abbrev && sig == std::string("SIG") + abbrev) return 128 + n;
    }
    return 128;
  }
  if (status == "completed") return 0;
  if (status == "cancelled") return 130;
  return 1;
}

void WriteOut(FILE* f, const std::string& bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fflush(f);
}

// Prints log data as people read it: a structured session's stdout becomes a transcript (see
// agents/transcript.h); everything else passes through byte for byte.
}  // namespace agentmux
