// MakeShimLauncher (launcher.h): agents started through per-session shims (proc/shim.h).
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "base/ids.h"
#include "base/json_access.h"
#include "proc/shim.h"
#include "session/launcher.h"

namespace agentmux {
namespace {
namespace asio = boost::asio;

// A shim's error reply as the Error Spawn() would have returned.
Error SpawnError(const nlohmann::json& reply) {
  std::string code = JStr(reply, "code", "spawn_failed"), message = JStr(reply, "message", "the shim failed");
  if (code == "binary_not_found") return Error::Unavailable(code, message);
  if (code == "bad_project_path" || code == "empty_command") return Error::InvalidArgument(code, message);
  return Error::Internal(message);
}

class ShimLauncher : public ProcessLauncher {
 public:
  ShimLauncher(asio::io_context& io, std::string dir) : io_(io), dir_(std::move(dir)), reaper_(MakeChildLauncher(io)) {
    std::error_code ec;
    // This binary, by path (an upgrade in place starts new shims from the new binary; valgrind
    // reports the client's path here), or /proc/self/exe when the file was replaced or removed.
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    self_exe_ = !ec && std::filesystem::exists(exe) ? exe : "/proc/self/exe";
    std::filesystem::create_directories(dir_, ec);
    ::chmod(dir_.c_str(), 0700);
  }
  ~ShimLauncher() override { *alive_ = false; }

  void Watch(ExitHandler on_exit) override {
    on_exit_ = std::move(on_exit);
    // Children: the shims themselves (their ends mean nothing here) and agents whose shim died
    // while this daemon, a subreaper, was their nearest ancestor.
    reaper_->Watch([this](pid_t pid, int status) { Exited(pid, status); });
  }

  void SignalGroup(pid_t pgid, int sig) override {
    if (pgid > 0) ::kill(-pgid, sig);
  }

  Result<SpawnedProcess> Spawn(const SpawnOptions& o) override {
    std::string id = EnvEntryValue(o.env, "AGENTMUX_SESSION_ID");
    if (id.empty() || id.find('/') != std::string::npos) return Error::Internal("a shim needs the session id");
    std::string token = RandomHex(16);
    {
      std::ofstream out(TokenPath(id), std::ios::trunc);
      ::chmod(TokenPath(id).c_str(), 0600);
      out << token;
      if (!out) return SysError("writing " + TokenPath(id), errno);
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return SysError("socketpair", errno);
    UniqueFd mine(pair[0]), theirs(pair[1]);
    int big = 1 << 20;  // a spawn request carries the whole environment
    ::setsockopt(mine.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(theirs.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    const char* argv[] = {"agentmux", "shim", id.c_str(), nullptr};
    pid_t shim = ::fork();
    if (shim < 0) return SysError("fork", errno);
    if (shim == 0) {
      // Async-signal-safe calls only: a process group and session of its own (apart from the
      // agent's and the daemon's), the control socket on fd 3, /dev/null for stdio.
      ResetSignalsInChild();
      ::setsid();
      int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      if (::dup2(theirs.get(), kShimControlFd) < 0) ::_exit(127);
      ::close_range(kShimControlFd + 1, ~0U, 0);
      ::execv(self_exe_.c_str(), const_cast<char* const*>(argv));
      ::_exit(127);
    }
    theirs.reset();
    timeval ten{10, 0};
    ::setsockopt(mine.get(), SOL_SOCKET, SO_RCVTIMEO, &ten, sizeof ten);
    nlohmann::json request = {{"type", "spawn"}, {"version", kShimProtocolVersion}, {"session_id", id},
                              {"token", token}, {"socket", SocketPath(id)}, {"argv", o.argv}, {"env", o.env},
                              {"cwd", o.cwd}, {"pty", o.use_pty}, {"cols", o.cols}, {"rows", o.rows}};
    if (auto st = ShimSend(mine.get(), request); !st.ok()) return st.error();
    auto reply = ShimReceive(mine.get());
    if (!reply.ok()) return Error::Internal("the session's shim did not start: " + reply.error().message);
    if (JStr(reply->body, "type") != "spawned") {
      std::filesystem::remove(TokenPath(id));
      return SpawnError(reply->body);
    }
    SpawnedProcess p;
    p.pid = static_cast<pid_t>(JInt(reply->body, "pid", -1));
    auto& fds = reply->fds;
    bool pty = JBool(reply->body, "pty");
    if (p.pid <= 0 || fds.size() != (pty ? 1u : 3u)) return Error::Internal("the shim's reply is malformed");
    if (pty) {
      p.pty_master = std::move(fds[0]);
    } else {
      p.stdin_fd = std::move(fds[0]);
      p.stdout_fd = std::move(fds[1]);
      p.stderr_fd = std::move(fds[2]);
    }
    Connect(id, p.pid, std::move(mine));
    return p;
  }

  Result<Reattached> Reattach(const std::string& id) override {
    std::string token;
    {
      std::ifstream in(TokenPath(id));
      if (!(in >> token)) return Error::NotFound("no_shim", "no shim token for session " + id);
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = SocketPath(id);
    if (path.size() >= sizeof addr.sun_path) return Error::Internal("shim socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return SysError("socket", errno);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int err = errno;
      if (err == ENOENT || err == ECONNREFUSED) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
        std::filesystem::remove(TokenPath(id), ec);
        return Error::NotFound("no_shim", "the shim of session " + id + " is gone");
      }
      return SysError("connecting to " + path, err);
    }
    timeval two{2, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two);
    if (auto st = ShimSend(fd.get(), {{"type", "hello"}, {"version", kShimProtocolVersion}, {"token", token}}); !st.ok())
      return Error::Unavailable("shim_unreachable", st.error().message);
    auto reply = ShimReceive(fd.get());
    if (!reply.ok()) return Error::Unavailable("shim_unreachable", "the shim of session " + id + ": " + reply.error().message);
    const auto& b = reply->body;
    if (JStr(b, "type") != "attached")
      return Error::Unavailable("shim_unreachable", "the shim of session " + id + " refused: " + JStr(b, "message"));
    Reattached r;
    r.process.pid = static_cast<pid_t>(JInt(b, "pid", -1));
    bool pty = JBool(b, "pty");
    if (r.process.pid <= 0 || reply->fds.size() != (pty ? 1u : 2u))
      return Error::Unavailable("shim_unreachable", "the shim of session " + id + " sent a malformed reply");
    if (pty) {
      r.process.pty_master = std::move(reply->fds[0]);
    } else {
      r.process.stdout_fd = std::move(reply->fds[0]);
      r.process.stderr_fd = std::move(reply->fds[1]);
    }
    for (const auto& out : {r.process.pty_master.get(), r.process.stdout_fd.get(), r.process.stderr_fd.get()})
      if (out >= 0) ::fcntl(out, F_SETFL, ::fcntl(out, F_GETFL) | O_NONBLOCK);
    if (b.contains("exit_status") && b["exit_status"].is_number_integer()) r.exit_status = b["exit_status"].get<int>();
    timeval none{0, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    Connect(id, r.process.pid, std::move(fd));
    return r;
  }

  void Release(pid_t pid) override {
    auto it = conns_.find(pid);
    if (it == conns_.end()) return;
    (void)ShimSend(it->second.fd->native_handle(), {{"type", "release"}});
    std::error_code ec;
    std::filesystem::remove(TokenPath(it->second.session_id), ec);
    conns_.erase(it);
  }

  std::vector<std::string> Held() override {
    std::vector<std::string> ids;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
      if (e.path().extension() == ".sock") ids.push_back(e.path().stem().string());
    return ids;
  }

  void DetachAll() override { conns_.clear(); }

 private:
  struct Conn {
    std::string session_id;
    std::unique_ptr<asio::posix::stream_descriptor> fd;
    std::unique_ptr<asio::posix::stream_descriptor> pidfd;  // the agent, once its shim is gone
  };

  std::string SocketPath(const std::string& id) const { return dir_ + "/" + id + ".sock"; }
  std::string TokenPath(const std::string& id) const { return dir_ + "/" + id + ".token"; }

  void Connect(const std::string& id, pid_t pid, UniqueFd fd) {
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    Conn& c = conns_[pid];
    c.session_id = id;
    c.fd = std::make_unique<asio::posix::stream_descriptor>(io_, fd.release());
    Read(pid);
  }

  void Read(pid_t pid) {
    auto it = conns_.find(pid);
    if (it == conns_.end()) return;
    std::weak_ptr<bool> alive = alive_;
    asio::posix::stream_descriptor* fd = it->second.fd.get();
    fd->async_wait(asio::posix::stream_descriptor::wait_read, [this, alive, pid, fd](const boost::system::error_code& ec) {
      if (!alive.lock() || ec == asio::error::operation_aborted) return;
      auto it = conns_.find(pid);
      if (it == conns_.end() || it->second.fd.get() != fd) return;
      for (;;) {
        auto msg = ShimReceive(fd->native_handle());
        if (!msg.ok()) {
          if (msg.error().code == "would_block") break;
          return ShimLost(pid);
        }
        if (JStr(msg->body, "type") == "exit") {
          Exited(pid, static_cast<int>(JInt(msg->body, "status", 0)));
          return;  // Exited() may have released the connection: nothing more to read here
        }
      }
      Read(pid);
    });
  }

  // The shim went away without telling the agent's end (killed): watch the agent itself.
  void ShimLost(pid_t pid) {
    auto& c = conns_[pid];
    spdlog::warn("session {}: its shim went away; watching pid {} directly", c.session_id, pid);
    c.fd.reset();
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
      if (errno == ESRCH) Exited(pid, SIGKILL);  // already gone, how is unknown: as if killed
      return;
    }
    c.pidfd = std::make_unique<asio::posix::stream_descriptor>(io_, pidfd);
    std::weak_ptr<bool> alive = alive_;
    c.pidfd->async_wait(asio::posix::stream_descriptor::wait_read, [this, alive, pid](const boost::system::error_code& ec) {
      if (!alive.lock() || ec) return;
      Exited(pid, SIGKILL);  // not our child: its status is not ours to read
    });
  }

  void Exited(pid_t pid, int status) {
    if (on_exit_) on_exit_(pid, status);
  }

  asio::io_context& io_;
  std::string dir_;
  std::string self_exe_;
  std::unique_ptr<ProcessLauncher> reaper_;
  ExitHandler on_exit_;
  std::map<pid_t, Conn> conns_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<ProcessLauncher> MakeShimLauncher(asio::io_context& io, const std::string& shim_dir) {
  return std::make_unique<ShimLauncher>(io, shim_dir);
}

}  // namespace agentmux
