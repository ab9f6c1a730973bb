// Real processes under real PTYs and pipes.
#include "proc/process.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstring>

namespace agentmux {
namespace {

std::vector<std::string> BaseEnv() { return {"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=xterm-256color"}; }

// Reads `fd` until EOF/EIO; returns everything.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    struct pollfd p {fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(Spawn, PtyChildHasATerminalAndItsOwnProcessGroup) {
  auto p = Spawn({{"sh", "-c", "test -t 0 && test -t 1 && echo tty; ps -o pgid= -p $$; stty size"}, BaseEnv(), "/", true, 100, 30});
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::string out = ReadAll(p->pty_master.get());
  EXPECT_NE(out.find("tty\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find(std::to_string(p->pid)), std::string::npos) << "pgid == pid: " << out;
  EXPECT_NE(out.find("30 100"), std::string::npos) << out;
  auto st = DecodeWaitStatus(Wait(p->pid));
  EXPECT_EQ(st.exit_code, 0);
}

TEST(Spawn, PipesKeepStdoutAndStderrApartAndDeliverStdin) {
  auto p = Spawn({{"sh", "-c", "read line; echo \"got $line\"; echo oops >&2"}, BaseEnv(), "/", false});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(::write(p->stdin_fd.get(), "hello\n", 6), 6);
  p->stdin_fd.reset();
  EXPECT_EQ(ReadAll(p->stdout_fd.get()), "got hello\n");
  EXPECT_EQ(ReadAll(p->stderr_fd.get()), "oops\n");
  Wait(p->pid);
}

TEST(Spawn, ExitCodesAndSignalsAreDecoded) {
  auto p = Spawn({{"sh", "-c", "exit 7"}, BaseEnv(), "/", false});
  ASSERT_TRUE(p.ok());
  auto st = DecodeWaitStatus(Wait(p->pid));
  EXPECT_EQ(st.exit_code, 7);
  EXPECT_FALSE(st.signal);

  auto k = Spawn({{"sh", "-c", "kill -KILL $$"}, BaseEnv(), "/", false});
  ASSERT_TRUE(k.ok());
  auto ks = DecodeWaitStatus(Wait(k->pid));
  EXPECT_FALSE(ks.exit_code);
  EXPECT_EQ(ks.signal, SIGKILL);
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
}

TEST(Spawn, MissingBinaryIsAnErrorNotAChild) {
  auto p = Spawn({{"no-such-binary-agentmux"}, BaseEnv(), "/", true});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "binary_not_found");
  EXPECT_NE(p.error().message.find("no-such-binary-agentmux"), std::string::npos);
  auto q = Spawn({{"/etc/passwd"}, BaseEnv(), "/", true});  // exists, not executable
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, "binary_not_found");
}

TEST(Spawn, MissingWorkingDirectoryIsAnError) {
  auto p = Spawn({{"true"}, BaseEnv(), "/no/such/dir", true});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "bad_project_path");
}

TEST(Spawn, ChildGetsDefaultSignalDispositions) {
  // The test process ignores SIGPIPE like the daemon does; the agent must not inherit that.
  ::signal(SIGPIPE, SIG_IGN);
  auto p = Spawn({{"sh", "-c", "grep SigIgn /proc/self/status"}, BaseEnv(), "/", false});
  ASSERT_TRUE(p.ok());
  std::string out = ReadAll(p->stdout_fd.get());
  Wait(p->pid);
  // Standard signals (1-31) must all be at their defaults. (glibc reserves 32 and 33 and will not
  // let a process change them; whatever the environment set there is inherited.)
  auto pos = out.find("SigIgn:");
  ASSERT_NE(pos, std::string::npos) << out;
  unsigned long long ignored = std::stoull(out.substr(pos + 7), nullptr, 16);
  EXPECT_EQ(ignored & 0x7fffffffULL, 0u) << out;  // bit N-1 is signal N
  ::signal(SIGPIPE, SIG_DFL);
}

TEST(FindExecutable, SearchesPath) {
  EXPECT_EQ(FindExecutable("sh", "/nonexistent:/bin"), "/bin/sh");
  EXPECT_FALSE(FindExecutable("sh", "/nonexistent"));
  EXPECT_EQ(FindExecutable("/bin/sh", ""), "/bin/sh");
}

}  // namespace
}  // namespace agentmux
