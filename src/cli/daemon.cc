// `agentmux daemon`: one per data dir (daemon.lock), foreground, logs to stderr.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agents/adapter.h"
#include "api/api.h"
#include "base/clock.h"
#include "cli/home.h"
#include "net/server.h"
#include "session/manager.h"
#include "store/store.h"

namespace agentmux {

Result<Home> ResolveHome(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    if (const char* e = std::getenv("AGENTMUX_HOME"); e && *e) dir = e;
    else if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) dir = std::string(x) + "/agentmux";
    else if (const char* h = std::getenv("HOME"); h && *h) dir = std::string(h) + "/.local/share/agentmux";
    else return Error::InvalidArgument("no_home", "set AGENTMUX_HOME or HOME, or pass --home DIR");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::Internal("cannot create data dir " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  auto canonical = std::filesystem::canonical(dir, ec);
  Home home{ec ? dir : canonical.string()};
  if (home.socket().size() > 107)
    return Error::InvalidArgument("home_too_long", "data dir path " + home.dir +
                                                       " is too long for a unix socket; choose a shorter --home");
  return home;
}

int RunDaemon(const Home& home) {
  ::signal(SIGPIPE, SIG_IGN);
  int lock_fd = ::open(home.lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    spdlog::error("cannot open {}: {}", home.lock(), std::strerror(errno));
    return 1;
  }
  // A client that just spawned us may still hold the lock for a moment.
  bool locked = false;
  for (int i = 0; i < 50 && !locked; ++i) {
    locked = ::flock(lock_fd, LOCK_EX | LOCK_NB) == 0;
    if (!locked) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!locked) {
    spdlog::error("another agentmux daemon is running for {} (it holds {})", home.dir, home.lock());
    return 1;
  }
  auto store = Store::Open(home.db());
  if (!store.ok()) {
    spdlog::error("{}", store.error().message);
    return 1;
  }
  boost::asio::io_context io(1);
  AdapterRegistry adapters;
  SessionManager manager(io, **store, adapters);
  manager.Recover();
  manager.Run();
  Api api(manager);
  Server server(io, api, manager, ServerOptions{home.socket()});
  if (auto st = server.Listen(); !st.ok()) {
    spdlog::error("{}", st.error().message);
    return 1;
  }
  {
    std::ofstream info(home.info(), std::ios::trunc);
    info << nlohmann::json{{"pid", ::getpid()}, {"socket", home.socket()}, {"version", kAgentmuxVersion},
                           {"started_at", Rfc3339(NowMs())}}
                .dump()
         << "\n";
  }
  spdlog::info("agentmux daemon {} (pid {}) listening on {}", kAgentmuxVersion, ::getpid(), home.socket());

  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT, SIGHUP);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", sig);
    server.Close();
    manager.Shutdown(5000, [&] { io.stop(); });
  });
  io.run();
  ::unlink(home.socket().c_str());
  ::unlink(home.info().c_str());
  spdlog::info("daemon stopped");
  return 0;
}

}  // namespace agentmux
