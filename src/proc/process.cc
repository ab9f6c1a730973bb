#include "proc/process.h"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

namespace agentmux {
namespace {

void SetCloexec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }
void SetNonblock(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Everything below runs in the forked child: async-signal-safe calls only.
[[noreturn]] void ChildFail(int err_fd, int err) {
  ssize_t ignored = ::write(err_fd, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

[[noreturn]] void ChildExec(const char* path, char* const argv[], char* const envp[], const char* cwd,
                            int in_fd, int out_fd, int err_out_fd, bool is_pty, int err_fd) {
  // Reset what the daemon changed: dispositions (SIGPIPE is ignored in the daemon!) and the mask.
  ResetSignalsInChild();

  if (::setsid() < 0) ChildFail(err_fd, errno);
  if (is_pty && ::ioctl(in_fd, TIOCSCTTY, 0) < 0) ChildFail(err_fd, errno);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_out_fd, 2) < 0) ChildFail(err_fd, errno);
  if (::chdir(cwd) < 0) ChildFail(err_fd, errno);
  // Close every inherited fd except the exec-error pipe (CLOEXEC: it closes on exec).
  if (err_fd > 3) ::close_range(3, static_cast<unsigned>(err_fd - 1), 0);
  ::close_range(static_cast<unsigned>(err_fd + 1), ~0U, 0);
  ::execve(path, argv, envp);
  ChildFail(err_fd, errno);
}

}  // namespace

void ResetSignalsInChild() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::string EnvEntryValue(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env)
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=')
      return kv.substr(key.size() + 1);
  return {};
}

std::optional<std::string> FindExecutable(const std::string& name, const std::string& path_env) {
  auto executable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) return executable(name) ? std::optional(name) : std::nullopt;
  std::stringstream ss(path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_env);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (executable(candidate)) return candidate;
  }
  return std::nullopt;
}

Result<SpawnedProcess> Spawn(const SpawnOptions& o) {
  if (o.argv.empty()) return Error::InvalidArgument("empty_command", "no command to run");
  struct stat st {};
  if (::stat(o.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error::InvalidArgument("bad_project_path", "project path " + o.cwd + " is not a directory");
  auto path = FindExecutable(o.argv[0], EnvEntryValue(o.env, "PATH"));
  if (!path)
    return Error::Unavailable("binary_not_found", "'" + o.argv[0] + "' was not found in PATH or is not executable");

  // Everything the child needs is built before fork.
  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) < 0) return SysError("pipe2", errno);
  UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

  SpawnedProcess proc;
  UniqueFd child_in, child_out, child_err;
  if (o.use_pty) {
    int master = -1, slave = -1;
    struct winsize ws {};
    ws.ws_col = o.cols;
    ws.ws_row = o.rows;
    if (::openpty(&master, &slave, nullptr, nullptr, &ws) < 0) return SysError("openpty", errno);
    proc.pty_master.reset(master);
    child_in.reset(slave);
    SetCloexec(master);
    SetCloexec(slave);
  } else {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return SysError("pipe2", errno);
    proc.stdin_fd.reset(in[1]);
    child_in.reset(in[0]);
    if (::pipe2(out, O_CLOEXEC) < 0) return SysError("pipe2", errno);
    proc.stdout_fd.reset(out[0]);
    child_out.reset(out[1]);
    if (::pipe2(err, O_CLOEXEC) < 0) return SysError("pipe2", errno);
    proc.stderr_fd.reset(err[0]);
    child_err.reset(err[1]);
  }

  pid_t pid = ::fork();
  if (pid < 0) return SysError("fork", errno);
  if (pid == 0) {
    int out = o.use_pty ? child_in.get() : child_out.get();
    int err = o.use_pty ? child_in.get() : child_err.get();
    ChildExec(path->c_str(), argv.data(), envp.data(), o.cwd.c_str(), child_in.get(), out, err, o.use_pty,
              err_write.get());
  }
  err_write.reset();
  child_in.reset();
  child_out.reset();
  child_err.reset();

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == sizeof child_errno) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (child_errno == ENOENT || child_errno == EACCES || child_errno == ENOEXEC)
      return Error::Unavailable("binary_not_found",
                                "cannot execute '" + *path + "': " + std::strerror(child_errno));
    return SysError("starting '" + *path + "'", child_errno);
  }
  proc.pid = pid;
  for (int fd : {proc.pty_master.get(), proc.stdout_fd.get(), proc.stderr_fd.get(), proc.stdin_fd.get()})
    if (fd >= 0) SetNonblock(fd);
  return proc;
}

ExitStatus DecodeWaitStatus(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

Status SetWindowSize(int pty_fd, unsigned short cols, unsigned short rows) {
  struct winsize ws {};
  ws.ws_col = cols;
  ws.ws_row = rows;
  if (::ioctl(pty_fd, TIOCSWINSZ, &ws) < 0) return SysError("TIOCSWINSZ", errno);
  return OkStatus();
}

}  // namespace agentmux
