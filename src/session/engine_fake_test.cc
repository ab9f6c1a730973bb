// The session engine's timing decisions — the stop ladder, --timeout, the drain after exit —
// checked to the millisecond with a fake launcher (its "processes" are pipes the test holds) and
// time that moves only when the test says (ManualTimers). What only real processes show (a real
// process group dies, a grandchild holding the PTY) is in manager_test.cc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "base/clock.h"
#include "session/launcher.h"
#include "session/manager.h"
#include "session/manager_test_fixture.h"
#include "session/supervisor.h"
#include "session/timers.h"

namespace agentmux {
namespace {
namespace fs = std::filesystem;

constexpr int kSignaledByKill = SIGKILL;          // waitpid status of a process killed by SIGKILL
constexpr int kSignaledByTerm = SIGTERM;          // … by SIGTERM
int Exited(int code) { return (code & 0xff) << 8; }  // … of exit(code)

// A process as a test plays it: the write ends of its stdout/stderr and the read end of its stdin.
struct FakeProcess {
  pid_t pid = 0;
  UniqueFd stdin_r, stdout_w, stderr_w;
  void Print(const std::string& s) { ASSERT_EQ(::write(stdout_w.get(), s.data(), s.size()), ssize_t(s.size())); }
  void CloseOutputs() {
    stdout_w.reset();
    stderr_w.reset();
  }
};

class FakeLauncher : public ProcessLauncher {
 public:
  Result<SpawnedProcess> Spawn(const SpawnOptions& options) override {
    spawned.push_back(options);
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return SysError("pipe", errno);
    SpawnedProcess p;
    p.pid = next_pid++;
    p.stdin_fd = UniqueFd(in[1]);
    p.stdout_fd = UniqueFd(out[0]);
    p.stderr_fd = UniqueFd(err[0]);
    auto& f = processes[p.pid];
    f.pid = p.pid;
    f.stdin_r = UniqueFd(in[0]);
    f.stdout_w = UniqueFd(out[1]);
    f.stderr_w = UniqueFd(err[1]);
    return p;
  }
  void SignalGroup(pid_t pgid, int sig) override { signals.emplace_back(pgid, sig); }
  void Watch(ExitHandler on_exit) override { on_exit_ = std::move(on_exit); }

  // The process ends with `status` (waitpid); its outputs stay open while something holds them.
  void Exit(pid_t pid, int status) { on_exit_(pid, status); }
  // The process ends with `status` and nothing holds its outputs any more.
  void End(pid_t pid, int status) {
    processes[pid].CloseOutputs();
    Exit(pid, status);
  }
  // The signals sent to group `pgid`, in order.
  std::vector<int> SignalsTo(pid_t pgid) const {
    std::vector<int> out;
    for (auto [g, s] : signals)
      if (g == pgid) out.push_back(s);
    return out;
  }

  std::vector<SpawnOptions> spawned;
  std::map<pid_t, FakeProcess> processes;
  std::vector<std::pair<pid_t, int>> signals;
  pid_t next_pid = 4'000'000;  // above pid_max's default: never a real process

 private:
  ExitHandler on_exit_;
};

// ---------------------------------------------------------------------------------------------
// Supervisor alone

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    launcher_.Watch([this](pid_t, int status) { supervisor_->OnExit(status); });
    auto proc = launcher_.Spawn({});
    ASSERT_TRUE(proc.ok());
    pid_ = proc->pid;
    SupervisorHooks hooks;
    hooks.on_output = [this](const std::string&, std::string data) { output_ += data; };
    hooks.on_done = [this] { ++done_; };
    supervisor_ = std::make_unique<Supervisor>(io_, launcher_, timers_, std::move(*proc), Redactor::Secrets{},
                                               std::move(hooks), /*drain_ms=*/2000);
    supervisor_->Start(std::nullopt);
  }
  void Poll() {
    io_.restart();
    io_.poll();
  }
  FakeProcess& process() { return launcher_.processes[pid_]; }

  boost::asio::io_context io_;
  FakeLauncher launcher_;
  ManualTimers timers_;
  std::unique_ptr<Supervisor> supervisor_;
  pid_t pid_ = 0;
  std::string output_;
  int done_ = 0;
};

TEST_F(SupervisorTest, StopSendsTermAndContThenKillExactlyWhenTheGraceRunsOut) {
  supervisor_->Stop(500);
  EXPECT_EQ(launcher_.SignalsTo(pid_), (std::vector<int>{SIGTERM, SIGCONT}));
  timers_.Advance(499);
  EXPECT_EQ(launcher_.SignalsTo(pid_).size(), 2u) << "no SIGKILL before the grace period ends";
  timers_.Advance(1);
  EXPECT_EQ(launcher_.SignalsTo(pid_), (std::vector<int>{SIGTERM, SIGCONT, SIGKILL}));
  launcher_.End(pid_, kSignaledByKill);
  Poll();
  EXPECT_EQ(done_, 1);
  EXPECT_EQ(supervisor_->exit()->signal, SIGKILL);
}

TEST_F(SupervisorTest, AProcessThatEndsOnSigtermGetsNoLateSigkillButItsGroupIsCleared) {
  supervisor_->Stop(10'000);
  timers_.Advance(100);
  launcher_.End(pid_, kSignaledByTerm);
  // The leader is gone; what is left of its group (a grandchild) is ended at once.
  EXPECT_EQ(launcher_.SignalsTo(pid_), (std::vector<int>{SIGTERM, SIGCONT, SIGKILL}));
  Poll();
  EXPECT_EQ(done_, 1);
  timers_.Advance(20'000);
  EXPECT_EQ(launcher_.SignalsTo(pid_).size(), 3u) << "the grace timer was cancelled";
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(SupervisorTest, OutputHeldOpenAfterExitIsDrainedAndTheGroupKilledAfterDrainMs) {
  process().Print("before exit\n");
  Poll();
  // The leader exits, but a grandchild still holds stdout.
  launcher_.Exit(pid_, Exited(0));
  Poll();
  EXPECT_EQ(done_, 0);
  timers_.Advance(1999);
  Poll();
  EXPECT_EQ(done_, 0) << "the drain waits drain_ms";
  EXPECT_TRUE(launcher_.SignalsTo(pid_).empty());
  process().Print("late bytes\n");
  timers_.Advance(1);  // drain: SIGKILL to the group, read what is buffered, close
  EXPECT_EQ(launcher_.SignalsTo(pid_), (std::vector<int>{SIGKILL}));
  EXPECT_EQ(done_, 1);
  EXPECT_EQ(output_, "before exit\nlate bytes\n");
  EXPECT_EQ(supervisor_->exit()->exit_code, 0);
}

// ---------------------------------------------------------------------------------------------
// The manager: --timeout and stop, from the request to the recorded end

class EngineTest : public ManagerTest {
 protected:
  ManagerOptions ManagerOptionsForTest() override {
    ManagerOptions opts;
    opts.launcher = &launcher_;
    opts.timers = &timers_;
    opts.timeout_grace_ms = 5000;
    return opts;
  }

  SessionRecord Start(std::optional<int64_t> timeout_ms = std::nullopt) {
    CreateRequest req;
    req.command = {"sh", "-c", "agent"};
    req.project_path = dir_.string();
    req.timeout_ms = timeout_ms;
    auto rec = manager_->Create(req);
    EXPECT_TRUE(rec.ok()) << (rec.ok() ? "" : rec.error().message);
    auto started = manager_->Start(rec->id);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return *started;
  }
  // Runs the loop until the session has ended (the end is recorded after a /proc scan on the
  // manager's blocking thread, so this waits on a condition, never on a duration).
  SessionRecord WaitEnded(const std::string& id) {
    RunUntil([&] { return Ended(id); });
    return Current(id);
  }
  bool HasEvent(const std::string& id, const std::string& type) {
    store_->Flush();
    for (const auto& e : manager_->Events(id, 0, 100))
      if (e.type == type) return true;
    return false;
  }

  FakeLauncher launcher_;
  ManualTimers timers_;
};

TEST_F(EngineTest, TimeoutStopsTheAgentAtItsDeadlineAndKillsItAfterTheTimeoutGrace) {
  auto s = Start(/*timeout_ms=*/60'000);
  pid_t pid = *s.pid;
  timers_.Advance(59'999);
  EXPECT_TRUE(launcher_.SignalsTo(pid).empty()) << "nothing before the deadline";
  timers_.Advance(1);
  EXPECT_EQ(launcher_.SignalsTo(pid), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(HasEvent(s.id, "timeout"));
  timers_.Advance(4'999);
  EXPECT_EQ(launcher_.SignalsTo(pid).size(), 2u) << "the agent gets the whole timeout grace";
  timers_.Advance(1);
  EXPECT_EQ(launcher_.SignalsTo(pid).back(), SIGKILL);
  launcher_.End(pid, kSignaledByKill);
  auto done = WaitEnded(s.id);
  EXPECT_EQ(done.status, SessionStatus::kFailed);
  EXPECT_EQ(done.signal, "SIGKILL");
  EXPECT_EQ(done.duration_ms, 65'000) << "60 s to the deadline + 5 s of grace";
  EXPECT_NE(done.error.value_or("").find("timed out after"), std::string::npos) << done.error.value_or("");
}

TEST_F(EngineTest, StopOfAnAgentIgnoringSigtermKillsItExactlyWhenTheGraceEnds) {
  auto s = Start();
  pid_t pid = *s.pid;
  timers_.Advance(1'000);
  ASSERT_TRUE(manager_->Stop(s.id, 3'000).ok());
  EXPECT_EQ(launcher_.SignalsTo(pid), (std::vector<int>{SIGTERM, SIGCONT}));
  timers_.Advance(2'999);
  EXPECT_EQ(launcher_.SignalsTo(pid).size(), 2u);
  timers_.Advance(1);
  EXPECT_EQ(launcher_.SignalsTo(pid).back(), SIGKILL);
  launcher_.End(pid, kSignaledByKill);
  auto done = WaitEnded(s.id);
  EXPECT_EQ(done.status, SessionStatus::kCancelled);
  EXPECT_EQ(done.signal, "SIGKILL");
  EXPECT_EQ(done.duration_ms, 4'000);
}

TEST_F(EngineTest, StopOfACooperativeAgentEndsWithSigtermAndNoWait) {
  auto s = Start(/*timeout_ms=*/60'000);
  pid_t pid = *s.pid;
  ASSERT_TRUE(manager_->Stop(s.id, 10'000).ok());
  launcher_.processes[pid].Print("bye\n");
  launcher_.End(pid, kSignaledByTerm);
  auto done = WaitEnded(s.id);
  EXPECT_EQ(done.status, SessionStatus::kCancelled);
  EXPECT_EQ(done.signal, "SIGTERM");
  EXPECT_EQ(done.duration_ms, 0) << "no grace period was waited";
  EXPECT_EQ(timers_.pending(), 0u) << "neither the grace nor the timeout timer is left";
  EXPECT_FALSE(HasEvent(s.id, "timeout"));
}

TEST_F(EngineTest, AnAgentThatExitsByItselfIsCompletedWithItsExitCodeAndDuration) {
  auto s = Start();
  pid_t pid = *s.pid;
  timers_.Advance(1'234);
  launcher_.End(pid, Exited(3));
  auto done = WaitEnded(s.id);
  EXPECT_EQ(done.status, SessionStatus::kFailed);
  EXPECT_EQ(done.exit_code, 3);
  EXPECT_EQ(done.duration_ms, 1'234);
  EXPECT_TRUE(launcher_.SignalsTo(pid).empty()) << "an agent that ended by itself is not signalled";
  ASSERT_EQ(launcher_.spawned.size(), 1u);
  EXPECT_EQ(launcher_.spawned[0].cwd, dir_.string());
}

}  // namespace
}  // namespace agentmux
