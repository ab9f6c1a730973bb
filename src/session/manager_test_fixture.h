// The test fixture of the session engine's tests: a real SQLite file in a temp dir, a real
// SessionManager on an io_context run by the test, real processes under real PTYs.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>

#include "base/clock.h"
#include "session/manager.h"

namespace agentmux {
namespace fs = std::filesystem;


class ManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::signal(SIGPIPE, SIG_IGN);
    dir_ = fs::temp_directory_path() / ("agentmux-mgr-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = Store::Open((dir_ / "agentmux.db").string(), StoreOptionsForTest());
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    manager_ = std::make_unique<SessionManager>(io_, *store_, adapters_, ManagerOptionsForTest());
    manager_->Run();
  }
  // The store's options (a subclass opens it through the fault-injecting VFS).
  virtual StoreOptions StoreOptionsForTest() { return {}; }
  // The manager's options (a subclass hands it a fake launcher and clock).
  virtual ManagerOptions ManagerOptionsForTest() {
    ManagerOptions opts;
    opts.drain_ms = 500;
    return opts;
  }

  void TearDown() override {
    manager_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  // Runs the loop until `done()` or `timeout_ms`; returns done().
  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms = 10000) {
    int64_t deadline = MonotonicMs() + timeout_ms;
    while (!done() && MonotonicMs() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return done();
  }

  SessionRecord RunShell(const std::vector<std::string>& cmd) {
    CreateRequest req;
    req.command = cmd;
    req.project_path = dir_.string();
    auto rec = manager_->Create(req);
    EXPECT_TRUE(rec.ok()) << (rec.ok() ? "" : rec.error().message);
    auto started = manager_->Start(rec->id);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return *started;
  }

  SessionRecord Current(const std::string& id) { return *manager_->Get(id); }
  bool Ended(const std::string& id) { return IsTerminal(Current(id).status); }

  std::string Log(const std::string& id) {
    std::string out;
    int64_t after = 0;
    for (;;) {
      auto page = manager_->ReadLogs(id, after, 10000, 64 << 20);
      if (page.empty()) break;
      for (const auto& c : page) {
        EXPECT_EQ(c->seq, after + 1) << "log gap";
        EXPECT_EQ(c->offset, static_cast<int64_t>(out.size())) << "offset mismatch";
        after = c->seq;
        out += c->data;
      }
    }
    return out;
  }

  static bool GroupAlive(int pgid) { return ::kill(-pgid, 0) == 0; }

  boost::asio::io_context io_;
  fs::path dir_;
  std::unique_ptr<Store> store_;
  AdapterRegistry adapters_;
  std::unique_ptr<SessionManager> manager_;
};

}  // namespace agentmux
