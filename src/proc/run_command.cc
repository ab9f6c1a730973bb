#include "proc/run_command.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/unique_fd.h"

extern char** environ;

namespace agentmux {
namespace {

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

bool ReadAll(int fd, void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int64_t NowMono() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const std::string& cwd,
                                 const std::vector<std::string>& extra_env, int64_t timeout_ms, size_t max_output) {
  if (argv.empty()) return Error::Internal("RunCommand: empty argv");
  std::string binary = FindInPath(argv[0]);
  if (binary.empty()) return Error::Unavailable("binary_not_found", argv[0] + " was not found in PATH");
  // Everything the children need is built before fork(): after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e) env_store.emplace_back(*e);
  for (const auto& kv : extra_env) env_store.push_back(kv);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2], status[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Error::Internal(std::string("pipe: ") + std::strerror(errno));
  UniqueFd out_r(out[0]), out_w(out[1]);
  if (::pipe2(status, O_CLOEXEC) != 0) return Error::Internal(std::string("pipe: ") + std::strerror(errno));
  UniqueFd status_r(status[0]), status_w(status[1]);

  pid_t middle = ::fork();
  if (middle < 0) return Error::Internal(std::string("fork: ") + std::strerror(errno));
  if (middle == 0) {
    // This process lives as long as the command: it must hold none of the daemon's descriptors
    // (its daemon.pid lock above all — a new daemon could not start while it ran). Keep the two
    // pipe ends as fds 3 and 4, close everything else.
    int out_fd = ::fcntl(out_w.get(), F_DUPFD, 100), status_fd = ::fcntl(status_w.get(), F_DUPFD, 100);
    if (out_fd < 0 || status_fd < 0 || ::dup2(out_fd, 3) < 0 || ::dup2(status_fd, 4) < 0) ::_exit(127);
    ::close_range(5, ~0U, 0);
    pid_t child = ::fork();
    if (child == 0) {
      ::setpgid(0, 0);
      int devnull = ::open("/dev/null", O_RDONLY);
      if (devnull >= 0) ::dup2(devnull, 0);
      ::dup2(3, 1);
      ::dup2(3, 2);
      ::close_range(3, ~0U, 0);
      if (::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::execve(binary.c_str(), args.data(), envp.data());
      ::_exit(127);
    }
    ::close(3);
    int32_t pid32 = child;
    (void)!::write(4, &pid32, sizeof pid32);
    int st = 0;
    while (child > 0 && ::waitpid(child, &st, 0) < 0 && errno == EINTR) {
    }
    int32_t st32 = child > 0 ? st : (127 << 8);
    (void)!::write(4, &st32, sizeof st32);
    ::_exit(0);
  }
  out_w.reset();
  status_w.reset();
  int32_t child = 0;
  if (!ReadAll(status_r.get(), &child, sizeof child)) child = 0;

  CommandResult result;
  int64_t deadline = NowMono() + timeout_ms;
  char buf[65536];
  while (true) {
    int64_t left = deadline - NowMono();
    if (left <= 0) {
      if (result.timed_out) break;  // killed 5 s ago and the pipe is still open (a stray holder)
      if (child > 0) ::kill(-child, SIGKILL);
      result.timed_out = true;
      deadline = NowMono() + 5000;  // read what is left after the kill, then give up
      continue;
    }
    pollfd p{out_r.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t r = ::read(out_r.get(), buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    size_t room = max_output > result.output.size() ? max_output - result.output.size() : 0;
    result.output.append(buf, std::min(room, static_cast<size_t>(r)));
  }
  int32_t wait_status = 0;
  if (!ReadAll(status_r.get(), &wait_status, sizeof wait_status)) wait_status = SIGKILL;
  // The intermediate may already have been reaped by a waitpid(-1) elsewhere: ECHILD is fine.
  ::waitpid(middle, nullptr, 0);
  if (WIFEXITED(wait_status)) result.exit_code = WEXITSTATUS(wait_status);
  return result;
}

}  // namespace agentmux
