// The supervisor of one session's process (tmux's job/spawn split): its PTY or pipes, the read
// loop, the context written to stdin, redaction of what it prints, the stop ladder and the drain
// after exit. It knows nothing of the store or of session states: it hands over redacted output,
// and says when the process is gone and its output drained.
//
// Reading: the loop waits for readiness, then reads the non-blocking fd into one 64 KiB buffer
// shared by every supervisor until EAGAIN or full — a flood becomes few large chunks, a trickle goes
// out at once, and 1,000 idle sessions hold no read buffer. Before each wait it asks may_read():
// only the log writer may slow an agent (a full queue, or a store that cannot write); while it says
// no, the agent blocks on its full PTY or pipe.
//
// Ending (DESIGN, STYLE "A session is finished only when…"): done() fires once the process was
// reaped and every output reached EOF (EIO on a PTY master); if something (a grandchild) keeps
// the output open `drain_ms` after the leader exited, the group is SIGKILLed, what is buffered is
// read, and the outputs are closed.
//
// Threading: loop thread only. Lifetime: owned by the manager; its pending handlers check a token
// and never touch a destroyed Supervisor. The destructor closes the fds; it does not signal the
// process (the owner decides: kill at shutdown, leave it to recovery after a crash).
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "proc/process.h"
#include "proc/redact.h"
#include "session/launcher.h"
#include "session/timers.h"

namespace agentmux {

struct SupervisorHooks {
  // Asked before each read wait: false = not now (retried after `backoff_ms`).
  std::function<bool(int64_t* backoff_ms)> may_read;
  // Redacted output of one stream: level "pty", "stdout" or "stderr".
  std::function<void(const std::string& level, std::string data)> on_output;
  // The process was reaped and its output drained: called once.
  std::function<void()> on_done;
};

class Supervisor {
 public:
  // Most bytes one read pass takes from one output before other sessions get a turn; also the
  // largest chunk a flood produces.
  static constexpr size_t kReadSize = 64 * 1024;

  // Takes the spawned process's fds. `secrets`: the session's secret values (Redactor). Signals go
  // through `launcher`, the ladder's and the drain's waits through `timers`; both must outlive it.
  Supervisor(boost::asio::io_context& io, ProcessLauncher& launcher, Timers& timers, SpawnedProcess process,
             const Redactor::Secrets& secrets, SupervisorHooks hooks, int64_t drain_ms);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Writes `stdin_data` to a pipes process's stdin and closes it (EOF: the agent starts), then
  // starts reading every output.
  void Start(const std::optional<std::string>& stdin_data);

  pid_t pid() const { return pid_; }    // -1 once reaped
  pid_t pgid() const { return pgid_; }  // the process group (the original pid)
  const std::optional<ExitStatus>& exit() const { return exit_; }
  bool stopping() const { return stopping_; }

  // The reaper saw this process end (waitpid status).
  void OnExit(int wait_status);
  // `sig` to the whole process group — also after the leader was reaped, while members remain.
  void Signal(int sig);
  // The stop ladder: SIGTERM and SIGCONT (a stopped process cannot handle SIGTERM) to the group,
  // SIGKILL after `grace_ms`, and SIGKILL to what is left once the leader is reaped.
  void Stop(int64_t grace_ms);

  // A planned daemon restart: hands what the redactors held back to on_output, then closes this
  // daemon's copies of the fds without signalling anything and without calling on_done (the
  // process's holder, its shim, keeps it and its output for the next daemon).
  void Detach();

  bool has_terminal() const { return pty_ != nullptr && pty_->open; }
  // Keystrokes to the PTY. Errors: not_a_terminal (pipes, or the terminal closed).
  Status WriteInput(std::string_view bytes);
  // TIOCSWINSZ on the PTY. Errors: not_a_terminal, bad_size.
  Status Resize(unsigned short cols, unsigned short rows);

 private:
  struct Output {
    std::string level;
    std::unique_ptr<boost::asio::posix::stream_descriptor> fd;  // non-blocking
    bool open = true;
    // Every stream has one: credential shapes are redacted in every session, and the session's own
    // secret values where it has any; a possible secret's start is held until disproved.
    std::unique_ptr<Redactor> redactor;
    std::unique_ptr<Timers::Timer> backoff;  // waits out may_read() == false
  };

  void Read(Output& out);
  size_t ReadAvailable(Output& out, bool* closed);
  void Emit(Output& out, std::string_view raw);
  void Close(Output& out);
  void MaybeDone();
  void Drain();

  boost::asio::io_context& io_;
  ProcessLauncher& launcher_;
  Timers& timers_;
  SupervisorHooks hooks_;
  int64_t drain_ms_;
  pid_t pid_;
  pid_t pgid_;
  std::optional<ExitStatus> exit_;
  bool stopping_ = false;
  bool done_ = false;
  bool detached_ = false;
  std::vector<std::unique_ptr<Output>> outputs_;
  Output* pty_ = nullptr;
  std::unique_ptr<boost::asio::posix::stream_descriptor> stdin_;
  std::shared_ptr<std::string> stdin_data_;
  std::unique_ptr<Timers::Timer> kill_timer_, drain_timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agentmux
