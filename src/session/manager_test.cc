// The session engine with real processes, real PTYs and a real SQLite file.
#include "session/manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/clock.h"
#include "session/manager_test_fixture.h"

// The fd-leak probe: when this test binary runs as an agent with AGENTMUX_FD_PROBE=1, it prints
// its open file descriptors and exits before any test runs.
namespace {
struct FdProbe {
  FdProbe() {
    if (!std::getenv("AGENTMUX_FD_PROBE")) return;
    DIR* d = ::opendir("/proc/self/fd");
    std::string fds;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.' || std::atoi(e->d_name) == ::dirfd(d)) continue;
      fds += std::string(e->d_name) + " ";
    }
    ::closedir(d);
    std::printf("FDS %s\n", fds.c_str());
    std::fflush(stdout);
    ::_exit(0);
  }
} fd_probe;
}  // namespace

namespace agentmux {
namespace {

TEST_F(ManagerTest, CompletedSessionKeepsEveryByteAndItsEvents) {
  auto s = RunShell({"sh", "-c", "echo hello; printf 'no newline at end'"});
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }));
  auto done = Current(s.id);
  EXPECT_EQ(done.status, SessionStatus::kCompleted);
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_FALSE(done.pid);
  EXPECT_TRUE(done.duration_ms);
  EXPECT_EQ(Log(s.id), "hello\r\nno newline at end");  // a PTY turns \n into \r\n, as a terminal shows it
  std::vector<std::string> types;
  for (const auto& e : manager_->Events(s.id, 0, 100)) types.push_back(e.type);
  // Ended by itself: it waits for someone to look (attention `ended`), recorded after its end.
  EXPECT_EQ(types, (std::vector<std::string>{"created", "started", "output_closed", "completed", "attention"}));
  ASSERT_TRUE(done.attention);
  EXPECT_EQ(done.attention->reason, AttentionReason::kEnded);
  auto seen = manager_->Acknowledge(s.id);
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE(seen->attention);
  EXPECT_FALSE(Current(s.id).attention);
}

TEST_F(ManagerTest, ExitCodeAndSignalMakeTheSessionFailed) {
  auto a = RunShell({"sh", "-c", "exit 3"});
  auto b = RunShell({"sh", "-c", "kill -KILL $$"});
  ASSERT_TRUE(RunUntil([&] { return Ended(a.id) && Ended(b.id); }));
  EXPECT_EQ(Current(a.id).status, SessionStatus::kFailed);
  EXPECT_EQ(Current(a.id).exit_code, 3);
  EXPECT_EQ(Current(b.id).status, SessionStatus::kFailed);
  EXPECT_FALSE(Current(b.id).exit_code);
  EXPECT_EQ(Current(b.id).signal, "SIGKILL");
}

TEST_F(ManagerTest, OutputWrittenJustBeforeExitIsNotLost) {
  auto s = RunShell({"sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done"});
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }));
  std::string log = Log(s.id);
  EXPECT_NE(log.find("line-1999\r\n"), std::string::npos);
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2000);
}

TEST_F(ManagerTest, StopEndsAnAgentThatIgnoresSigtermAndItsGrandchildWithinGrace) {
  auto s = RunShell({"sh", "-c", "trap '' TERM; (trap '' TERM; sleep 1000) & echo ready; while :; do sleep 1; done"});
  ASSERT_TRUE(RunUntil([&] { return Log(s.id).find("ready") != std::string::npos; }));
  int pgid = *s.pid;
  ASSERT_TRUE(GroupAlive(pgid));
  // The ladder's timing is checked to the millisecond with fake time (engine_fake_test.cc); here,
  // that a real group ignoring SIGTERM ends, grandchild included.
  ASSERT_TRUE(manager_->Stop(s.id, 500).ok());
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }, 5000));
  auto done = Current(s.id);
  EXPECT_EQ(done.status, SessionStatus::kCancelled);
  EXPECT_EQ(done.signal, "SIGKILL");
  EXPECT_FALSE(done.pid);
  EXPECT_TRUE(RunUntil([&] { return !GroupAlive(pgid); }, 2000)) << "a process of the group (the grandchild) survived";
}

TEST_F(ManagerTest, StopOfACooperativeAgentIsQuick) {
  auto s = RunShell({"sleep", "1000"});
  ASSERT_TRUE(manager_->Stop(s.id, 60'000).ok());
  // Ended by SIGTERM means no part of the 60 s grace was waited for (SIGKILL would come after it).
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }, 30'000));
  EXPECT_EQ(Current(s.id).status, SessionStatus::kCancelled);
  EXPECT_EQ(Current(s.id).signal, "SIGTERM");
}

TEST_F(ManagerTest, PauseStopsOutputAndResumeRestartsIt) {
  auto s = RunShell({"sh", "-c", "while :; do echo tick; sleep 0.01; done"});
  ASSERT_TRUE(RunUntil([&] { return Current(s.id).log_bytes > 20; }));
  ASSERT_TRUE(manager_->Pause(s.id).ok());
  EXPECT_EQ(Current(s.id).status, SessionStatus::kPaused);
  RunUntil([] { return false; }, 100);  // let in-flight output land
  int64_t frozen = Current(s.id).log_bytes;
  RunUntil([] { return false; }, 400);
  EXPECT_EQ(Current(s.id).log_bytes, frozen) << "a paused session must not produce output";
  ASSERT_TRUE(manager_->Resume(s.id).ok());
  EXPECT_TRUE(RunUntil([&] { return Current(s.id).log_bytes > frozen + 20; }, 3000)) << "resume must restart output";
  ASSERT_TRUE(manager_->Stop(s.id, 1000).ok());
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }));
  std::vector<std::string> types;
  for (const auto& e : manager_->Events(s.id, 0, 100)) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::string>{"created", "started", "paused", "resumed", "output_closed", "cancelled"}));
}

TEST_F(ManagerTest, StoppingAPausedSessionWorks) {
  auto s = RunShell({"sleep", "1000"});
  ASSERT_TRUE(manager_->Pause(s.id).ok());
  ASSERT_TRUE(manager_->Stop(s.id, 2000).ok());
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }, 4000));
  EXPECT_EQ(Current(s.id).status, SessionStatus::kCancelled);
}

TEST_F(ManagerTest, IllegalTransitionsAreRefusedAndChangeNothing) {
  auto s = RunShell({"true"});
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }));
  auto p = manager_->Pause(s.id);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "illegal_transition");
  EXPECT_FALSE(manager_->Start(s.id).ok());
  EXPECT_FALSE(manager_->Stop(s.id, 0).ok());
  EXPECT_EQ(Current(s.id).status, SessionStatus::kCompleted);
}

TEST_F(ManagerTest, FloodOf100MBIsStoredByteExact) {
  // 100 MB of numbered lines through the PTY; the store must hold exactly what the terminal carried.
  fs::path file = dir_ / "flood.txt";
  std::string expected;
  {
    std::ofstream out(file, std::ios::binary);
    std::string line;
    for (int i = 0; expected.size() < 100'000'000; ++i) {
      line = "flood line " + std::to_string(i) + " " + std::string(70, static_cast<char>('a' + i % 26)) + "\n";
      out << line;
      line.insert(line.size() - 1, "\r");
      expected += line;
    }
  }
  auto s = RunShell({"cat", file.string()});
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }, 120000));
  EXPECT_EQ(Current(s.id).status, SessionStatus::kCompleted);
  std::string log = Log(s.id);
  EXPECT_EQ(log.size(), expected.size());
  EXPECT_TRUE(log == expected) << "stored log differs from what the agent wrote";
  EXPECT_EQ(Current(s.id).log_bytes, static_cast<int64_t>(expected.size()));
  // A PTY read gives at most 4 KiB; the daemon drains what is buffered into one chunk, so a flood
  // is stored (and streamed) in far fewer, larger chunks.
  EXPECT_LT(Current(s.id).log_seq, static_cast<int64_t>(expected.size() / 8192))
      << "chunks average " << expected.size() / Current(s.id).log_seq << " bytes";
}

TEST_F(ManagerTest, NoDaemonFdLeaksIntoTheAgent) {
  // The daemon holds SQLite files, sockets and PTY masters; add one fd without CLOEXEC on top.
  int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  // The agent is this test binary as the fd probe (see FdProbe above).
  CreateRequest req;
  req.command = {fs::read_symlink("/proc/self/exe").string()};
  req.project_path = dir_.string();
  req.env["AGENTMUX_FD_PROBE"] = "1";
  auto rec = manager_->Create(req);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(manager_->Start(rec->id).ok());
  ::close(leaky);
  ASSERT_TRUE(RunUntil([&] { return Ended(rec->id); }));
  std::string log = Log(rec->id);
  EXPECT_NE(log.find("FDS 0 1 2 \r\n"), std::string::npos) << log;
}

TEST_F(ManagerTest, EnvironmentCarriesSpecsPromptAndSessionId) {
  fs::create_directories(dir_ / "specs" / "028-a");
  fs::create_directories(dir_ / "specs" / "320-b");
  std::ofstream(dir_ / "specs" / "028-a" / "README.md") << "# A\n";
  std::ofstream(dir_ / "specs" / "320-b" / "README.md") << "# B\n";
  CreateRequest req;
  req.command = {"sh", "-c", "echo \"ids=$LEANSPEC_SPEC_IDS id=$LEANSPEC_SPEC_ID prompt=${LEANSPEC_PROMPT-unset} "
                             "path=$LEANSPEC_PROJECT_PATH sid=$AGENTMUX_SESSION_ID term=$TERM\""};
  req.project_path = dir_.string();
  req.spec_ids = {"028", "320"};
  auto a = manager_->Create(req);
  ASSERT_TRUE(a.ok()) << a.error().message;
  req.spec_ids = {};
  req.prompt = "fix lint";
  auto b = manager_->Create(req);
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(manager_->Start(a->id).ok());
  ASSERT_TRUE(manager_->Start(b->id).ok());
  ASSERT_TRUE(RunUntil([&] { return Ended(a->id) && Ended(b->id); }));
  std::string canon = fs::canonical(dir_).string();
  EXPECT_NE(Log(a->id).find("ids=028,320 id=028 prompt=unset path=" + canon + " sid=" + a->id + " term=xterm-256color"),
            std::string::npos)
      << Log(a->id);
  EXPECT_NE(Log(b->id).find("ids= id= prompt=fix lint"), std::string::npos) << Log(b->id);
  EXPECT_EQ(Current(a->id).spec_ids, (std::vector<std::string>{"028", "320"}));
}

TEST_F(ManagerTest, SensitiveEnvIsUsedButNeverStored) {
  CreateRequest req;
  req.command = {"sh", "-c", "echo token=$MY_API_TOKEN len=${#MY_API_TOKEN} plain=$PLAIN"};
  req.project_path = dir_.string();
  req.env = {{"MY_API_TOKEN", "s3cr3t-value"}, {"PLAIN", "visible"}};
  auto rec = manager_->Create(req);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(manager_->Start(rec->id).ok());
  ASSERT_TRUE(RunUntil([&] { return Ended(rec->id); }));
  // The agent had the value (its length shows), and its output was redacted before it was stored.
  EXPECT_NE(Log(rec->id).find("token=[REDACTED:MY_API_TOKEN] len=12 plain=visible"), std::string::npos) << Log(rec->id);
  auto stored = store_->GetSession(rec->id);
  EXPECT_EQ(stored->env.count("MY_API_TOKEN"), 0u);
  EXPECT_EQ(stored->env.at("PLAIN"), "visible");
}

TEST_F(ManagerTest, SecretsInOutputAreRedactedBeforeTheyAreStored) {
  // The agent prints its own API key, split across two writes with a pause between them.
  CreateRequest req;
  req.command = {"sh", "-c",
                 "printf 'key=%s' $(echo $MY_API_KEY | cut -c1-10); sleep 0.05; "
                 "printf '%s done\\n' $(echo $MY_API_KEY | cut -c11-)"};
  req.project_path = dir_.string();
  req.env = {{"MY_API_KEY", "sk-abcd1234efgh5678"}};
  auto rec = manager_->Create(req);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(manager_->Start(rec->id).ok());
  ASSERT_TRUE(RunUntil([&] { return Ended(rec->id); }));
  std::string log = Log(rec->id);
  EXPECT_EQ(log.find("sk-abcd1234efgh5678"), std::string::npos) << log;
  EXPECT_NE(log.find("key=[REDACTED:MY_API_KEY] done"), std::string::npos) << log;
}

TEST_F(ManagerTest, BadInputIsRefusedAtCreate) {
  CreateRequest req;
  req.project_path = dir_.string();
  EXPECT_EQ(manager_->Create(req).error().code, "missing_tool");
  req.tool = "nope";
  EXPECT_EQ(manager_->Create(req).error().code, "unknown_tool");
  req.tool = "shell";
  EXPECT_EQ(manager_->Create(req).error().code, "missing_command");
  req.command = {"true"};
  req.project_path = "/no/such/project";
  EXPECT_EQ(manager_->Create(req).error().code, "bad_project_path");
  req.project_path = dir_.string();
  req.spec_ids = {"999"};
  EXPECT_EQ(manager_->Create(req).error().code, "unknown_spec");
  EXPECT_TRUE(manager_->List({}).empty()) << "a refused create must not leave a session";
}

TEST_F(ManagerTest, MissingBinaryAtStartLeavesTheSessionPending) {
  CreateRequest req;
  req.command = {"no-such-agent-binary"};
  req.project_path = dir_.string();
  auto rec = manager_->Create(req);
  ASSERT_TRUE(rec.ok());
  auto st = manager_->Start(rec->id);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "binary_not_found");
  EXPECT_EQ(Current(rec->id).status, SessionStatus::kPending);
}

TEST_F(ManagerTest, RecoverMarksSessionsOfADeadDaemonInterrupted) {
  // A manager that, like a crashed daemon, leaves its agents running when it goes away.
  ManagerOptions crashy;
  crashy.kill_on_destroy = false;
  manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, crashy);
  manager_->Run();
  auto s = RunShell({"sh", "-c", "echo before; sleep 1000"});
  ASSERT_TRUE(RunUntil([&] { return Current(s.id).log_bytes > 0; }));
  store_->Flush();
  int pgid = *s.pid;
  manager_.reset();
  manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, ManagerOptions{});
  manager_->Recover();
  auto rec = Current(s.id);
  EXPECT_EQ(rec.status, SessionStatus::kInterrupted);
  EXPECT_FALSE(rec.pid);
  EXPECT_EQ(Log(s.id), "before\r\n");
  auto events = manager_->Events(s.id, 0, 100);
  EXPECT_EQ(events.back().type, "interrupted");
  // The orphan is gone: the hang-up of its terminal (SIGHUP) or recovery (SIGKILL) ended it. It is
  // our child here, so reap it to see.
  int status = 0;
  ASSERT_EQ(::waitpid(pgid, &status, 0), pgid);
  EXPECT_TRUE(WIFSIGNALED(status)) << status;
}

}  // namespace
}  // namespace agentmux
