#include "proc/shim.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "base/json_access.h"
#include "proc/process.h"

namespace agentmux {
namespace {

constexpr size_t kMaxMessage = 1 << 20;  // a spawn request carries argv and env
constexpr size_t kMaxFds = 4;

// What the shim tells about itself to each daemon that connects.
struct ShimState {
  std::string session_id;
  std::string token;
  pid_t pid = -1;
  bool pty = false;
  std::vector<UniqueFd> outputs;  // the PTY master, or stdout and stderr read ends
  std::optional<int> exit_status;
};

std::vector<int> Raw(const std::vector<UniqueFd>& fds) {
  std::vector<int> out;
  for (const auto& fd : fds) out.push_back(fd.get());
  return out;
}

void SendError(int socket, const std::string& code, const std::string& message) {
  (void)ShimSend(socket, {{"type", "error"}, {"code", code}, {"message", message}});
}

// A daemon said hello on `conn`: check it, hand over the fds and the exit status if known.
bool Attach(int conn, const ShimState& st) {
  auto hello = ShimReceive(conn);
  if (!hello.ok()) return false;
  const auto& b = hello->body;
  if (JText(b, "type").value_or("") != "hello") {
    SendError(conn, "bad_message", "the first message must be hello");
    return false;
  }
  if (JInt(b, "version", 0) < 1) {
    SendError(conn, "bad_version", "this shim speaks protocol version " + std::to_string(kShimProtocolVersion));
    return false;
  }
  if (JText(b, "token").value_or("") != st.token) {
    SendError(conn, "bad_token", "the token does not match this shim's");
    return false;
  }
  nlohmann::json attached = {{"type", "attached"}, {"version", kShimProtocolVersion}, {"session_id", st.session_id},
                             {"pid", st.pid}, {"pty", st.pty},
                             {"exit_status", st.exit_status ? nlohmann::json(*st.exit_status) : nlohmann::json(nullptr)}};
  return ShimSend(conn, attached, Raw(st.outputs)).ok();
}

// The agent's end was recorded: reap what is left of its descendants (escapees killed by the
// daemon), for at most 2 s, so none waits for init as a zombie.
void ReapRemaining() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == ECHILD) return;
    if (pid > 0) continue;
    if (std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

UniqueFd Listen(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return {};
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return {};
  ::unlink(path.c_str());
  mode_t old = ::umask(0177);  // the socket is 0600 from the start
  int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::listen(fd.get(), 4) != 0) return {};
  return fd;
}

}  // namespace

Status ShimSend(int socket, const nlohmann::json& message, const std::vector<int>& fds) {
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  iovec iov{text.data(), text.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (!fds.empty()) {
    if (fds.size() > kMaxFds) return Error::Internal("too many fds for one shim message");
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    if (n >= 0) return OkStatus();
    if (errno != EINTR) return SysError("sending to the shim socket", errno);
  }
}

Result<ShimMessage> ShimReceive(int socket) {
  // The message's size first (SOCK_SEQPACKET keeps boundaries): a buffer of exactly that size, so an
  // idle shim holds no large buffer (its private memory is the point of issue 13's < 1 MB).
  ssize_t size;
  do {
    size = ::recv(socket, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (size < 0 && errno == EINTR);
  if (size < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Error::Unavailable("would_block", "no message yet");
  if (size < 0) return SysError("reading the shim socket", errno);
  if (static_cast<size_t>(size) > kMaxMessage) return Error::InvalidArgument("bad_message", "shim message too large");
  std::string buffer(static_cast<size_t>(size) + 1, '\0');
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Error::Unavailable("would_block", "no message yet");
  if (n < 0) return SysError("reading the shim socket", errno);
  ShimMessage out;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      out.fds.emplace_back(fd);
    }
  }
  if (n == 0) return Error::Unavailable("closed", "the other end of the shim socket went away");
  if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) return Error::InvalidArgument("bad_message", "shim message too large");
  out.body = nlohmann::json::parse(std::string_view(buffer.data(), static_cast<size_t>(n)), nullptr, false);
  if (!out.body.is_object()) return Error::InvalidArgument("bad_message", "a shim message is not a JSON object");
  return out;
}

int RunShim() {
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::prctl(PR_SET_NAME, "agentmux-shim");
  UniqueFd conn(kShimControlFd);
  auto request = ShimReceive(conn.get());
  if (!request.ok()) return 1;
  const auto& b = request->body;
  if (JText(b, "type").value_or("") != "spawn") {
    SendError(conn.get(), "bad_message", "the first message must be spawn");
    return 1;
  }
  ShimState st;
  st.session_id = JText(b, "session_id").value_or("");
  st.token = JText(b, "token").value_or("");
  SpawnOptions opts;
  for (const auto& a : JArr(b, "argv"))
    if (a.is_string()) opts.argv.push_back(a.get<std::string>());
  for (const auto& e : JArr(b, "env"))
    if (e.is_string()) opts.env.push_back(e.get<std::string>());
  opts.cwd = JText(b, "cwd").value_or("");
  opts.use_pty = JBool(b, "pty", true);
  opts.cols = static_cast<unsigned short>(std::clamp<int64_t>(JInt(b, "cols", 120), 1, 1000));
  opts.rows = static_cast<unsigned short>(std::clamp<int64_t>(JInt(b, "rows", 40), 1, 1000));

  // SIGCHLD arrives as a readable signalfd; blocked before the fork so no end is missed (the agent
  // gets an empty mask back in Spawn()).
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  UniqueFd sigfd(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));

  auto proc = Spawn(opts);
  if (!proc.ok()) {
    SendError(conn.get(), proc.error().code, proc.error().message);
    return 1;
  }
  st.pid = proc->pid;
  st.pty = opts.use_pty;
  UniqueFd listener = Listen(JText(b, "socket").value_or(""));
  std::vector<int> handed;
  if (st.pty) {
    st.outputs.push_back(std::move(proc->pty_master));
    handed = {st.outputs[0].get()};
  } else {
    st.outputs.push_back(std::move(proc->stdout_fd));
    st.outputs.push_back(std::move(proc->stderr_fd));
    handed = {proc->stdin_fd.get(), st.outputs[0].get(), st.outputs[1].get()};
  }
  nlohmann::json spawned = {{"type", "spawned"}, {"version", kShimProtocolVersion}, {"pid", st.pid},
                            {"pty", st.pty}, {"reattachable", listener.valid()}};
  if (!ShimSend(conn.get(), spawned, handed).ok()) conn.reset();
  proc->stdin_fd.reset();  // the daemon's copy is the only one: its close is the agent's EOF
  const std::string socket_path = JText(b, "socket").value_or("");

  for (;;) {
    pollfd fds[3] = {{sigfd.get(), POLLIN, 0}, {listener.get(), POLLIN, 0}, {conn.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      while (::read(sigfd.get(), &info, sizeof info) > 0) {
      }
      for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (pid != st.pid) continue;  // an escapee of the agent's: reaped, forgotten
        st.exit_status = status;
        if (conn.valid() && !ShimSend(conn.get(), {{"type", "exit"}, {"status", status}}).ok()) conn.reset();
      }
    }
    if (fds[1].revents & POLLIN) {
      UniqueFd incoming(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (incoming.valid()) {
        timeval two_seconds{2, 0};  // a peer that connects and says nothing does not hold the shim
        ::setsockopt(incoming.get(), SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
        if (Attach(incoming.get(), st)) {
          timeval none{0, 0};
          ::setsockopt(incoming.get(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
          conn = std::move(incoming);  // the newest daemon wins
        }
      }
    }
    if (conn.valid() && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      auto msg = ShimReceive(conn.get());
      if (!msg.ok()) {
        conn.reset();  // the daemon went away: wait for the next one
        continue;
      }
      if (JText(msg->body, "type").value_or("") == "release" && st.exit_status) {
        listener.reset();
        if (!socket_path.empty()) ::unlink(socket_path.c_str());
        st.outputs.clear();
        ReapRemaining();
        return 0;
      }
    }
  }
}

}  // namespace agentmux
