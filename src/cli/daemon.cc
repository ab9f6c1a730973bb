// `agentmux daemon`: one per data dir (daemon.lock), foreground, logs to stderr.
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agents/adapter.h"
#include "api/api.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/unique_fd.h"
#include "cli/home.h"
#include "mcp/server.h"
#include "net/server.h"
#include "session/launcher.h"
#include "session/manager.h"
#include "workflow/checkpoints.h"
#include "workflow/orchestration.h"
#include "workflow/plans.h"
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

Result<std::string> LoadOrCreateToken(const Home& home) {
  // A token file others can read is a token others know: tighten it (it is ours) or refuse it.
  struct stat st {};
  if (::stat(home.token().c_str(), &st) == 0) {
    if (st.st_uid != ::geteuid())
      return Error::InvalidArgument("bad_token_file", home.token() + " belongs to another user; remove it and start again");
    if ((st.st_mode & 077) != 0) {
      if (::chmod(home.token().c_str(), 0600) != 0) return SysError("chmod 0600 " + home.token(), errno);
      spdlog::warn("{} was readable by others (mode {:o}); made it 0600. Consider it known: delete it to get a new one",
                   home.token(), st.st_mode & 0777);
    }
  }
  std::ifstream in(home.token());
  std::string token;
  if (in && std::getline(in, token) && token.size() >= 32) return token;
  token = RandomHex(32);
  int fd = ::open(home.token().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return SysError("creating " + home.token(), errno);
  std::string line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) return SysError("writing " + home.token(), errno);
  return token;
}

namespace {
// "127.0.0.1:7171" → (host, port). Errors for a malformed value.
Result<std::pair<std::string, int>> ParseListen(const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Error::InvalidArgument("bad_listen", "--listen takes HOST:PORT, e.g. 127.0.0.1:7171 (port 0 = any free port)");
  std::string host = value.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    int port = std::stoi(value.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    return std::make_pair(host, port);
  } catch (...) {
    return Error::InvalidArgument("bad_listen", "--listen port must be 0-65535, got '" + value.substr(colon + 1) + "'");
  }
}
}  // namespace

Status StopDaemonKeepingSessions(const Home& home) {
  UniqueFd lock(::open(home.pid_lock().c_str(), O_RDWR | O_CLOEXEC));
  if (!lock.valid()) return OkStatus();  // never ran here
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) return OkStatus();  // none runs now
  std::ifstream in(home.pid_lock());
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0) return Error::Unavailable("daemon_did_not_stop", "cannot read the daemon's pid from " + home.pid_lock());
  ::kill(pid, SIGUSR1);
  for (int waited = 0; waited < 30'000; waited += 20) {
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) {
      ::flock(lock.get(), LOCK_UN);
      return OkStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Error::Unavailable("daemon_did_not_stop", "the daemon (pid " + std::to_string(pid) + ") did not stop within 30 s");
}

int RunDaemon(const Home& home, const DaemonOptions& daemon_options) {
  ::signal(SIGPIPE, SIG_IGN);
  // A terminal closing must not take every agent with it: SIGHUP is ignored (there is no config to
  // reload), as by nohup. The agents get default dispositions back at spawn.
  ::signal(SIGHUP, SIG_IGN);
  // Descendants that lose their parent (an agent's orphaned grandchildren) become ours to reap —
  // never zombies waiting for init — and ours to find and kill.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("cannot become a child subreaper: {}", std::strerror(errno));
  // Every session holds a PTY master or pipes: lift the soft fd limit to the hard one so a thousand
  // sessions fit (the default soft limit is 1024).
  struct rlimit nofile {};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  // daemon.pid is held (flock) for the daemon's whole life: one daemon per data dir. (daemon.lock
  // is the starters' lock, see cli.cc.)
  int lock_fd = ::open(home.pid_lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    spdlog::error("cannot open {}: {}", home.pid_lock(), std::strerror(errno));
    return 1;
  }
  // A daemon that just died may leave the lock held for a moment by a child caught between fork
  // and exec (a shim being spawned): wait a little before calling it another daemon. (Starters only
  // spawn a daemon when none answers on the socket.)
  bool locked = false;
  for (int waited = 0; waited <= 3000 && !(locked = ::flock(lock_fd, LOCK_EX | LOCK_NB) == 0); waited += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!locked) {
    spdlog::error("another agentmux daemon is running for {} (it holds {})", home.dir, home.pid_lock());
    return 1;
  }
  {
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(lock_fd, 0) != 0 || ::write(lock_fd, pid.data(), pid.size()) < 0) spdlog::warn("cannot write {}", home.pid_lock());
  }
  auto store = Store::Open(home.db());
  if (!store.ok()) {
    spdlog::error("{}", store.error().message);
    return 1;
  }
  boost::asio::io_context io(1);
  AdapterRegistry adapters;
  ManagerOptions manager_options;
  manager_options.tmp_root = home.dir + "/tmp";
  // $AGENTMUX_HOME/config.json (docs/architecture.md "Configuration"): read once at start.
  if (std::ifstream in(home.config()); in) {
    auto config = nlohmann::json::parse(in, nullptr, false);
    if (!config.is_object()) {
      spdlog::error("{} is not a JSON object; fix it or remove it", home.config());
      return 1;
    }
    if (config.contains("attention_hook")) {
      if (!config["attention_hook"].is_string()) {
        spdlog::error("{}: attention_hook must be a string (a shell command)", home.config());
        return 1;
      }
      manager_options.attention_hook = config["attention_hook"].get<std::string>();
    }
  }
  // Agents start under shims of their own (proc/shim.h) and outlive this daemon.
  auto launcher = MakeShimLauncher(io, home.shims());
  manager_options.launcher = launcher.get();
  SessionManager manager(io, **store, adapters, manager_options);
  manager.Recover();
  manager.Run();
  {
    // Private TMPDIRs of sessions that did not come back belong to nobody now.
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(manager_options.tmp_root, ec))
      if (!manager.IsLive(e.path().filename().string())) std::filesystem::remove_all(e.path(), ec);
  }
  // Plans (workflow/plans.h): parents the manager hands to their driver; settled after Recover.
  PlanDriver plans(io, manager);
  plans.Recover();
  // Checkpoints, worktrees and diffs (workflow/checkpoints.h): a launch hook and a bus watcher.
  Checkpoints checkpoints(manager, home.dir + "/worktrees");
  // Orchestrations (workflow/orchestration.h): plan-kind sessions whose subtasks MCP clients run.
  Orchestrations orchestrations(io, manager, &checkpoints);
  plans.SetOrchestrations(&orchestrations);
  Api api(manager, &plans, &checkpoints);
  // MCP (mcp/server.h): the same tools over /mcp and through `agentmux mcp`.
  mcp::Server mcp_server(mcp::ToolDeps{io, manager, api, &orchestrations});
  ServerOptions server_options;
  server_options.unix_socket_path = home.socket();
  server_options.web_dir = daemon_options.web_dir;
  if (!daemon_options.listen.empty() && daemon_options.listen != "off") {
    auto listen = ParseListen(daemon_options.listen);
    if (!listen.ok()) {
      spdlog::error("{}", listen.error().message);
      return 1;
    }
    auto token = LoadOrCreateToken(home);
    if (!token.ok()) {
      spdlog::error("{}", token.error().message);
      return 1;
    }
    server_options.tcp_host = listen->first;
    server_options.tcp_port = listen->second;
    server_options.token = *token;
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(listen->first, ec);
    if (ec) {
      spdlog::error("--listen host must be an IP address, got '{}'", listen->first);
      return 1;
    }
    if (!addr.is_loopback())
      spdlog::warn("listening on non-loopback address {}: every request needs the token in {}", listen->first, home.token());
  }
  // Connection caps from the fd limit, so connections can never take the fds sessions need (a PTY
  // or three pipes each) nor the unix socket's share.
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    size_t quarter = static_cast<size_t>(nofile.rlim_cur / 4);
    server_options.max_tcp_connections = std::clamp<size_t>(quarter, 8, server_options.max_tcp_connections);
    server_options.max_tcp_connections_per_peer =
        std::min(server_options.max_tcp_connections_per_peer, server_options.max_tcp_connections);
    server_options.max_unix_connections = std::clamp<size_t>(quarter, 8, server_options.max_unix_connections);
  }
  if (const char* t = std::getenv("AGENTMUX_REQUEST_TIMEOUT_MS"); t && std::atoll(t) > 0)
    server_options.request_timeout_ms = std::atoll(t);
  auto server = std::make_unique<Server>(io, api, manager, server_options);
  server->SetMcp(&mcp_server);
  Status listening = server->Listen();
  if (!listening.ok() && listening.error().code == "listen_failed" && !daemon_options.listen_given) {
    // Another daemon (another data dir) has the default port: take any free one; daemon.json and
    // `agentmux ui-url` say which.
    spdlog::warn("{}; using a free port instead", listening.error().message);
    server_options.tcp_port = 0;
    server = std::make_unique<Server>(io, api, manager, server_options);
    server->SetMcp(&mcp_server);
    listening = server->Listen();
  }
  if (!listening.ok()) {
    spdlog::error("{}", listening.error().message);
    return 1;
  }
  Server& srv = *server;
  {
    std::ofstream info(home.info(), std::ios::trunc);
    info << nlohmann::json{{"pid", ::getpid()}, {"socket", home.socket()}, {"version", kAgentmuxVersion},
                           {"host", server_options.tcp_host},
                           {"port", srv.tcp_port() >= 0 ? nlohmann::json(srv.tcp_port()) : nlohmann::json(nullptr)},
                           {"started_at", Rfc3339(NowMs())}}
                .dump()
         << "\n";
  }
  spdlog::info("agentmux daemon {} (pid {}) listening on {}{}", kAgentmuxVersion, ::getpid(), home.socket(),
               srv.tcp_port() >= 0 ? " and http://" + server_options.tcp_host + ":" + std::to_string(srv.tcp_port()) : "");

  // SIGTERM/SIGINT: as shutdown_sessions says; SIGUSR1: a planned restart (keep, always).
  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT, SIGUSR1);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    srv.Close();
    if (sig != SIGUSR1 && daemon_options.shutdown_sessions == "stop") {
      spdlog::info("received signal {}, shutting down: stopping {} session(s)", sig, manager.live_count());
      manager.Shutdown(5000, [&] { io.stop(); });
      return;
    }
    spdlog::info("received signal {}, shutting down: {} session(s) keep running in their shims", sig,
                 manager.live_count());
    manager.Detach();
    // Let the handlers of the connections just closed run before the loop ends (they must not
    // outlive what they point to).
    auto drained = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(200));
    drained->async_wait([&io, drained](const boost::system::error_code&) { io.stop(); });
  });
  // Last resort: no exception may end the loop and, with it, every session. Handlers catch their
  // own; one that escapes anyway is logged and the loop goes on.
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      spdlog::critical("event loop: uncaught exception ({}); the daemon keeps running", e.what());
    } catch (...) {
      spdlog::critical("event loop: uncaught non-standard exception; the daemon keeps running");
    }
  }
  ::unlink(home.socket().c_str());
  ::unlink(home.info().c_str());
  spdlog::info("daemon stopped");
  return 0;
}

}  // namespace agentmux
