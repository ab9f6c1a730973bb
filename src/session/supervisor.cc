#include "session/supervisor.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/write.hpp>

namespace agentmux {
namespace asio = boost::asio;

namespace {

// Every supervisor's reads (loop thread): one buffer, not one per session.
std::vector<char>& ReadBuffer() {
  static std::vector<char> buffer(Supervisor::kReadSize);
  return buffer;
}

}  // namespace

Supervisor::Supervisor(asio::io_context& io, ProcessLauncher& launcher, Timers& timers, SpawnedProcess process,
                       const Redactor::Secrets& secrets, SupervisorHooks hooks, int64_t drain_ms)
    : io_(io), launcher_(launcher), timers_(timers), hooks_(std::move(hooks)), drain_ms_(drain_ms), pid_(process.pid), pgid_(process.pid) {
  auto add = [&](UniqueFd fd, const char* level) {
    auto out = std::make_unique<Output>();
    out->level = level;
    out->redactor = std::make_unique<Redactor>(secrets);
    out->fd = std::make_unique<asio::posix::stream_descriptor>(io_, fd.release());
    out->fd->non_blocking(true);  // ReadAvailable() drains until EAGAIN
    outputs_.push_back(std::move(out));
  };
  if (process.pty_master.valid()) {
    add(std::move(process.pty_master), "pty");
    pty_ = outputs_.back().get();
  } else {
    add(std::move(process.stdout_fd), "stdout");
    add(std::move(process.stderr_fd), "stderr");
    // A reattached process has no stdin here: its context was delivered by the daemon that started it.
    if (process.stdin_fd.valid()) stdin_ = std::make_unique<asio::posix::stream_descriptor>(io_, process.stdin_fd.release());
  }
}

Supervisor::~Supervisor() { *alive_ = false; }

void Supervisor::Start(const std::optional<std::string>& stdin_data) {
  if (stdin_) {
    if (stdin_data && !stdin_data->empty()) {
      stdin_data_ = std::make_shared<std::string>(*stdin_data);
      std::weak_ptr<bool> alive = alive_;
      asio::async_write(*stdin_, asio::buffer(*stdin_data_),
                        [this, alive, data = stdin_data_](const boost::system::error_code& ec, size_t) {
                          if (!alive.lock()) return;
                          if (ec) spdlog::warn("pid {}: writing the context to stdin: {}", pgid_, ec.message());
                          stdin_.reset();  // EOF: the agent starts
                        });
    } else {
      stdin_.reset();
    }
  }
  for (auto& out : outputs_) Read(*out);
}

void Supervisor::Read(Output& out) {
  std::weak_ptr<bool> alive = alive_;
  Output* o = &out;
  int64_t backoff_ms = 5;
  if (hooks_.may_read && !hooks_.may_read(&backoff_ms)) {
    out.backoff = timers_.After(backoff_ms, [this, alive, o] {
      if (alive.lock() && o->open) Read(*o);
    });
    return;
  }
  out.fd->async_wait(asio::posix::stream_descriptor::wait_read, [this, alive, o](const boost::system::error_code& ec) {
    if (!alive.lock() || ec == asio::error::operation_aborted || !o->open) return;
    bool closed = static_cast<bool>(ec);
    size_t n = closed ? 0 : ReadAvailable(*o, &closed);
    if (n > 0) Emit(*o, std::string_view(ReadBuffer().data(), n));
    // EIO on a PTY master = every slave fd closed; EOF on a pipe = every writer closed.
    if (closed) {
      Close(*o);
      return;
    }
    Read(*o);
  });
}

size_t Supervisor::ReadAvailable(Output& out, bool* closed) {
  std::vector<char>& buf = ReadBuffer();
  size_t n = 0;
  while (n < kReadSize) {
    ssize_t r = ::read(out.fd->native_handle(), buf.data() + n, kReadSize - n);
    if (r > 0) {
      n += static_cast<size_t>(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) *closed = true;
      break;
    }
  }
  return n;
}

void Supervisor::Emit(Output& out, std::string_view raw) {
  // Secrets never reach the store or a subscriber, even when split across reads or interrupted
  // by terminal escapes (proc/redact.h).
  std::string safe = out.redactor->Feed(raw);
  if (!safe.empty()) hooks_.on_output(out.level, std::move(safe));
}

void Supervisor::Close(Output& out) {
  if (!out.open) return;
  out.open = false;
  std::string rest = out.redactor->Flush();
  if (!rest.empty()) hooks_.on_output(out.level, std::move(rest));
  boost::system::error_code ignored;
  out.fd->close(ignored);
  MaybeDone();
}

void Supervisor::Detach() {
  detached_ = true;
  kill_timer_.reset();
  drain_timer_.reset();
  for (auto& out : outputs_) Close(*out);  // flushes the redactor; MaybeDone() does nothing once detached
  stdin_.reset();
}

void Supervisor::OnExit(int wait_status) {
  exit_ = DecodeWaitStatus(wait_status);
  pid_ = -1;  // reaped: never signal this pid again
  // Stop means no process of the group is left: end stragglers (a grandchild) too.
  if (stopping_) Signal(SIGKILL);
  MaybeDone();
}

void Supervisor::MaybeDone() {
  if (!exit_ || done_ || detached_) return;
  bool all_closed = std::all_of(outputs_.begin(), outputs_.end(), [](const auto& o) { return !o->open; });
  if (all_closed) {
    done_ = true;
    kill_timer_.reset();
    drain_timer_.reset();  // done: never signal this group again (its pgid may be reused)
    hooks_.on_done();  // may destroy this Supervisor: nothing after
    return;
  }
  // The leader is gone but something (a grandchild) still holds the terminal or pipe: give it a
  // moment to drain, then end the group and close.
  if (drain_timer_) return;
  drain_timer_ = timers_.After(drain_ms_, [this] { Drain(); });
}

void Supervisor::Drain() {
  spdlog::info("pid {}: output still open {} ms after exit; ending the process group", pgid_, drain_ms_);
  Signal(SIGKILL);
  std::weak_ptr<bool> alive = alive_;
  for (size_t i = 0; i < outputs_.size() && alive.lock(); ++i) {
    Output& o = *outputs_[i];
    if (!o.open) continue;
    // Take what is still buffered, without waiting.
    for (bool closed = false; !closed;) {
      size_t n = ReadAvailable(o, &closed);
      if (n == 0) break;
      Emit(o, std::string_view(ReadBuffer().data(), n));
    }
    Close(o);  // the last Close may end (and destroy) this Supervisor
  }
}

void Supervisor::Signal(int sig) {
  // The leader was reaped: its group may still have members (a grandchild holding the PTY).
  launcher_.SignalGroup(pid_ > 0 ? pid_ : pgid_, sig);
}

void Supervisor::Stop(int64_t grace_ms) {
  stopping_ = true;
  Signal(SIGTERM);
  Signal(SIGCONT);  // a stopped process cannot handle SIGTERM
  kill_timer_ = timers_.After(grace_ms, [this] {
    spdlog::info("pid {}: grace period over, SIGKILL to the process group", pgid_);
    Signal(SIGKILL);
  });
}

Status Supervisor::WriteInput(std::string_view bytes) {
  if (!has_terminal()) return Error::Conflict("not_a_terminal", "this session has no terminal to type into (it runs with pipes)");
  // Small writes to a PTY master do not block in practice; a full terminal buffer drops input
  // rather than stalling the loop.
  ssize_t n = ::write(pty_->fd->native_handle(), bytes.data(), bytes.size());
  if (n < 0 && errno != EAGAIN) return SysError("write to the terminal", errno);
  return OkStatus();
}

Status Supervisor::Resize(unsigned short cols, unsigned short rows) {
  if (!has_terminal()) return Error::Conflict("not_a_terminal", "this session has no terminal");
  if (cols == 0 || rows == 0) return Error::InvalidArgument("bad_size", "cols and rows must be positive");
  return SetWindowSize(pty_->fd->native_handle(), cols, rows);
}

}  // namespace agentmux
