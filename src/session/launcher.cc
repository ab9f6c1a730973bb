#include "session/launcher.h"

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace agentmux {
namespace {

class ChildLauncher : public ProcessLauncher {
 public:
  explicit ChildLauncher(boost::asio::io_context& io) : sigchld_(io) {}
  ~ChildLauncher() override { *alive_ = false; }

  Result<SpawnedProcess> Spawn(const SpawnOptions& options) override { return agentmux::Spawn(options); }

  void SignalGroup(pid_t pgid, int sig) override {
    if (pgid > 0) ::kill(-pgid, sig);
  }

  void Watch(ExitHandler on_exit) override {
    on_exit_ = std::move(on_exit);
    sigchld_.add(SIGCHLD);
    Arm();
    Reap();  // a child may have exited before the handler was installed
  }

 private:
  void Arm() {
    std::weak_ptr<bool> alive = alive_;
    sigchld_.async_wait([this, alive](const boost::system::error_code& ec, int) {
      if (ec || !alive.lock()) return;
      Reap();
      Arm();
    });
  }

  // SIGCHLD is a loop event: drain waitpid(-1) and report each end.
  void Reap() {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (on_exit_) on_exit_(pid, status);
    }
  }

  boost::asio::signal_set sigchld_;
  ExitHandler on_exit_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<ProcessLauncher> MakeChildLauncher(boost::asio::io_context& io) {
  return std::make_unique<ChildLauncher>(io);
}

}  // namespace agentmux
