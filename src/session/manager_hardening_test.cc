// The session engine under the failures of issue 11: a full disk, a resumed interrupted session,
// records an earlier daemon left behind, processes that escape or outlive their session.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>

#include "session/manager_test_fixture.h"
#include "store/fault_vfs.h"

namespace agentmux {
namespace {

// Live processes (not zombies) whose environment holds AGENTMUX_SESSION_ID=<id>.
std::vector<int> ProcessesOf(const std::string& id) {
  std::vector<int> out;
  std::string want = "AGENTMUX_SESSION_ID=" + id;
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream env(e.path() / "environ", std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(env)), std::istreambuf_iterator<char>());
    if (data.find(want + '\0') == std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string line;
    std::getline(stat, line);
    if (line.substr(line.rfind(')') + 2, 1) != "Z") out.push_back(std::stoi(name));
  }
  return out;
}

class ManagerFaultTest : public ManagerTest {
 protected:
  void SetUp() override {
    SetFault(Fault::kNone);
    ManagerTest::SetUp();
  }
  StoreOptions StoreOptionsForTest() override {
    StoreOptions options;
    options.vfs = kFaultVfsName;
    return options;
  }
  void TearDown() override {
    SetFault(Fault::kNone);
    ManagerTest::TearDown();
  }
};

// Issue 11 item 4: on a full disk the writer used to drop batches after ~5 s and the session ended
// `completed` claiming output that was never stored. Now reading stops (the agent blocks on its
// terminal), the session cannot end while its end cannot be recorded, and when space returns every
// byte is there.
TEST_F(ManagerFaultTest, AFullDiskPausesTheAgentAndLosesNoByteOfItsOutput) {
  auto s = RunShell({"sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo \"line $i of the flood\"; i=$((i+1)); done"});
  ASSERT_TRUE(RunUntil([&] { return Current(s.id).log_bytes > 1000; }));
  SetFault(Fault::kDiskFull);
  ASSERT_TRUE(RunUntil([&] { return !store_->writable(); })) << "the store notices";
  // Held back, not lost and not ended: the output stops growing and the session stays running.
  int64_t held_at = 0;
  ASSERT_TRUE(RunUntil([&] {
    int64_t now = Current(s.id).log_bytes;
    bool still = now == held_at;
    held_at = now;
    return still && now > 0;
  }, 5000));
  RunUntil([] { return false; }, 700);
  EXPECT_EQ(Current(s.id).status, SessionStatus::kRunning);
  EXPECT_EQ(Current(s.id).log_bytes, held_at) << "nothing is read while nothing can be stored";
  SetFault(Fault::kNone);
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }, 30000));
  auto done = Current(s.id);
  EXPECT_EQ(done.status, SessionStatus::kCompleted);
  std::string expected;
  for (int i = 0; i < 20000; ++i) expected += "line " + std::to_string(i) + " of the flood\r\n";
  EXPECT_EQ(Log(s.id), expected) << "every line, in order, no hole";
  EXPECT_EQ(store_->LogExtent(s.id).second, done.log_bytes) << "the session claims exactly what is stored";
  bool stalled = false;
  for (const auto& e : manager_->Events(s.id, 0, 1000)) stalled |= e.type == "store_stalled";
  EXPECT_TRUE(stalled) << "its history says the disk was full";
}

// A session that ended while the disk was full is recorded as ended once it can be.
TEST_F(ManagerFaultTest, ASessionThatEndsOnAFullDiskIsRecordedWhenSpaceReturns) {
  auto s = RunShell({"sh", "-c", "sleep 0.3; echo bye"});
  SetFault(Fault::kDiskFull);
  // A write that fails makes the store notice the full disk.
  store_->Post([id = s.id](StoreTxn& tx) { tx.InsertEvent(id, "probe", {}, NowMs()); });
  ASSERT_TRUE(RunUntil([&] { return !store_->writable(); }));
  RunUntil([] { return false; }, 1200);
  EXPECT_EQ(Current(s.id).status, SessionStatus::kRunning) << "not ended before its end can be stored";
  SetFault(Fault::kNone);
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }, 10000));
  EXPECT_EQ(store_->GetSession(s.id)->status, SessionStatus::kCompleted);
}

// Issue 11 item 3: resuming an interrupted session started its log again at seq 1: 301 UNIQUE
// failures, writer stalls, the session stuck running with a dead pid.
TEST_F(ManagerTest, ResumingAnInterruptedSessionAppendsToItsLog) {
  fs::path agent = dir_ / "fake-claude";
  {
    std::ofstream f(agent);
    f << "#!/bin/sh\nif [ -e \"$0.ran\" ]; then echo second run; exit 0; fi\ntouch \"$0.ran\"\necho first run\nsleep 1000\n";
  }
  fs::permissions(agent, fs::perms::owner_all);
  ::setenv("AGENTMUX_CLAUDE_BIN", agent.c_str(), 1);
  ManagerOptions crashy;
  crashy.kill_on_destroy = false;
  manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, crashy);
  manager_->Run();
  CreateRequest req;
  req.tool = "claude";
  req.mode = SessionMode::kGuided;
  req.project_path = dir_.string();
  req.prompt = "work";
  auto rec = manager_->Create(req);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_TRUE(manager_->Start(rec->id).ok());
  ASSERT_TRUE(RunUntil([&] { return Log(rec->id).find("first run") != std::string::npos; }));
  store_->Flush();
  int pgid = *Current(rec->id).pid;
  manager_.reset();  // the daemon "crashes"
  manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, ManagerOptions{});
  manager_->Run();
  manager_->Recover();
  ASSERT_EQ(Current(rec->id).status, SessionStatus::kInterrupted);
  int64_t before = Current(rec->id).log_seq;
  auto resumed = manager_->Resume(rec->id);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  ASSERT_TRUE(RunUntil([&] { return Ended(rec->id); }));
  ::unsetenv("AGENTMUX_CLAUDE_BIN");
  auto done = Current(rec->id);
  EXPECT_EQ(done.status, SessionStatus::kCompleted);
  std::string log = Log(rec->id);  // asserts seq and offsets are contiguous
  EXPECT_NE(log.find("first run"), std::string::npos);
  EXPECT_NE(log.find("second run"), std::string::npos);
  EXPECT_GT(done.log_seq, before);
  EXPECT_TRUE(store_->writable());
  int status = 0;
  ::waitpid(pgid, &status, WNOHANG);
}

// Issue 11 item 3: `stop` of a record marked running without a process answered HTTP 500
// ("std::get: wrong index for variant") and `rm` refused it forever.
TEST_F(ManagerTest, AStaleRunningRecordCanBeStoppedAndDeleted) {
  SessionRecord stale;
  stale.id = "01900000-0000-7000-8000-000000000001";
  stale.project_path = dir_.string();
  stale.tool = "shell";
  stale.command = {"sleep", "1000"};
  stale.status = SessionStatus::kRunning;
  stale.pid = 999999;
  stale.created_at = stale.updated_at = NowMs();
  ASSERT_TRUE(store_->Write([&](StoreTxn& tx) { tx.InsertSession(stale); }).ok());
  auto paused = manager_->Pause(stale.id);
  ASSERT_FALSE(paused.ok());
  EXPECT_EQ(paused.error().code, "session_not_running");
  auto resumed = manager_->Resume(stale.id);
  ASSERT_FALSE(resumed.ok());
  auto stopped = manager_->Stop(stale.id, 0);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_EQ(stopped->status, SessionStatus::kCancelled);
  EXPECT_TRUE(manager_->Delete(stale.id).ok());
}

// Issue 11 item 9: a session that ended by itself left its setsid escapees running (16/16).
TEST_F(ManagerTest, ProcessesThatLeftTheGroupEndWithTheSessionEvenWhenItExitsByItself) {
  // The escapee is in a session of its own before the leader exits (it writes its pid first).
  std::string pidfile = (dir_ / "escapee.pid").string();
  auto s = RunShell({"sh", "-c",
                     "setsid sh -c 'echo $$ > " + pidfile + "; exec sleep 1000' </dev/null >/dev/null 2>&1 & "
                     "while [ ! -s " + pidfile + " ]; do sleep 0.01; done; echo started"});
  ASSERT_TRUE(RunUntil([&] { return Ended(s.id); }));
  EXPECT_EQ(Current(s.id).status, SessionStatus::kCompleted);
  ASSERT_TRUE(RunUntil([&] { return ProcessesOf(s.id).empty(); }, 3000)) << "the escapee was killed";
  bool reported = false;
  for (const auto& e : manager_->Events(s.id, 0, 100))
    if (e.type == "completed" && e.data.contains("killed_escaped_pids")) reported = true;
  EXPECT_TRUE(reported) << "the end event names what was killed: " << manager_->Events(s.id, 0, 100).back().data.dump();
}

// Issue 11 item 9: recovery after a crash ended the process group but not processes that had left
// it; and a create-and-start cut by the crash stayed pending forever.
TEST_F(ManagerTest, RecoveryEndsEveryProcessOfADeadDaemonsSessionsAndItsCutStarts) {
  ManagerOptions crashy;
  crashy.kill_on_destroy = false;
  manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, crashy);
  manager_->Run();
  std::string pidfile = (dir_ / "escapee.pid").string();
  auto s = RunShell({"sh", "-c",
                     "setsid sh -c 'echo $$ > " + pidfile + "; exec sleep 1000' </dev/null >/dev/null 2>&1 & "
                     "while [ ! -s " + pidfile + " ]; do sleep 0.01; done; echo up; sleep 1000"});
  ASSERT_TRUE(RunUntil([&] { return ProcessesOf(s.id).size() >= 2; }));
  CreateRequest cut;
  cut.command = {"true"};
  cut.project_path = dir_.string();
  cut.start_requested = true;
  auto pending = manager_->Create(cut);  // created; the crash comes before Start
  ASSERT_TRUE(pending.ok());
  store_->Flush();
  int pgid = *s.pid;
  manager_.reset();
  manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, ManagerOptions{});
  manager_->Run();
  manager_->Recover();
  EXPECT_EQ(Current(s.id).status, SessionStatus::kInterrupted);
  ASSERT_TRUE(RunUntil([&] { return ProcessesOf(s.id).empty(); }, 3000)) << "group and escapee are gone";
  EXPECT_EQ(Current(pending->id).status, SessionStatus::kCancelled);
  EXPECT_NE(Current(pending->id).error.value_or("").find("before this session could start"), std::string::npos);
  int status = 0;
  ::waitpid(pgid, &status, 0);
}

}  // namespace
}  // namespace agentmux
