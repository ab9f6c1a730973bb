#include "cli/cli.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "agents/transcript.h"
#include "api/api.h"
#include "base/clock.h"
#include "cli/doctor.h"
#include "cli/home.h"
#include "net/client.h"

namespace agentmux {
using nlohmann::json;

namespace {

constexpr int kExitError = 1;
constexpr int kExitUnreachable = 3;

struct Globals {
  std::string home_flag;
  bool json_out = false;
};

// A failure to print and the exit code that goes with it.
struct CliError {
  std::string message;
  int code = kExitError;
};

[[noreturn]] void Fail(const std::string& message, int code = kExitError) { throw CliError{message, code}; }

std::string SelfExe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "agentmux" : p.string();
}

// Spawns `agentmux daemon` detached (own session, output to daemon.log).
void SpawnDaemon(const Home& home) {
  pid_t pid = ::fork();
  if (pid < 0) Fail(std::string("cannot start the daemon: fork: ") + std::strerror(errno));
  if (pid > 0) {
    int status;
    ::waitpid(pid, &status, 0);  // the intermediate child exits at once
    return;
  }
  ::setsid();
  if (::fork() != 0) ::_exit(0);  // the grandchild is re-parented to init: no zombie in the client
  int null_fd = ::open("/dev/null", O_RDONLY);
  int log_fd = ::open(home.log().c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  ::close_range(3, ~0U, 0);
  std::string exe = SelfExe();
  std::string home_dir = home.dir;
  char* argv[] = {const_cast<char*>(exe.c_str()), const_cast<char*>("daemon"), const_cast<char*>("--home"),
                  const_cast<char*>(home_dir.c_str()), nullptr};
  ::execv(exe.c_str(), argv);
  ::_exit(127);
}

// A client connected to a running daemon, started if needed (at most once across racing clients:
// the one that takes daemon.lock spawns; the others wait for the socket).
DaemonClient Connect(const Globals& g) {
  auto home = ResolveHome(g.home_flag);
  if (!home.ok()) Fail(home.error().message);
  DaemonClient client(home->socket());
  auto ping = [&] { return client.Request("GET", "/api/health"); };
  auto first = ping();
  if (first.ok()) return client;
  if (first.error().code != "daemon_unreachable") Fail(first.error().message, kExitUnreachable);
  // daemon.lock serialises starters: the holder checks again, spawns, and keeps the lock until the
  // daemon answers, so racing clients start exactly one daemon.
  int lock_fd = ::open(home->lock().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) Fail("cannot open " + home->lock() + ": " + std::strerror(errno));
  int64_t deadline = MonotonicMs() + 10000;
  bool locked = false;
  while (!(locked = ::flock(lock_fd, LOCK_EX | LOCK_NB) == 0) && MonotonicMs() < deadline) {
    if (ping().ok()) break;  // another client started it meanwhile
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool up = ping().ok();
  std::error_code size_ec;
  auto log_start = std::filesystem::file_size(home->log(), size_ec);
  if (size_ec) log_start = 0;
  // The daemon's last error line of this start (e.g. a damaged database → doctor), if any.
  auto start_error = [&] {
    std::string why;
    std::ifstream log(home->log());
    log.seekg(static_cast<std::streamoff>(log_start));  // this start's lines only
    for (std::string line; std::getline(log, line);)
      if (line.find("[error]") != std::string::npos) why = line.substr(line.find("[error]") + 8);
    return why;
  };
  // True once the spawned daemon has given up: it logged an error and holds no daemon.pid lock.
  auto gave_up = [&] {
    if (start_error().empty()) return false;
    int fd = ::open(home->pid_lock().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;
    bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
    ::close(fd);
    return free;
  };
  if (locked && !up) {
    SpawnDaemon(*home);
    int64_t next_check = MonotonicMs() + 200;
    while (!(up = ping().ok()) && MonotonicMs() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (MonotonicMs() >= next_check) {
        if (gave_up()) break;
        next_check = MonotonicMs() + 200;
      }
    }
  }
  ::close(lock_fd);  // releases the lock
  if (up || ping().ok()) return client;
  // Say why, in the daemon's words.
  std::string why = start_error();
  if (!why.empty()) Fail("the agentmux daemon could not start: " + why + " (log: " + home->log() + ")", kExitUnreachable);
  Fail("the agentmux daemon did not come up within 10 s; see " + home->log(), kExitUnreachable);
}

json Call(DaemonClient& c, const std::string& method, const std::string& target, const json& body = nullptr) {
  auto r = c.Request(method, target, body.is_null() ? "" : body.dump());
  if (!r.ok()) Fail(r.error().message, kExitUnreachable);
  json j = r->json();
  if (r->status >= 400) {
    std::string msg = j.is_object() && j.contains("error") ? j["error"].value("message", r->body) : r->body;
    Fail(msg);
  }
  return j;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '&' || c == '?' || c == '#' || c == '+' || c == ' ' || c == '=' || c == '/') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Str(const json& j, const char* key, const std::string& dflt = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : dflt;
}

std::string ShortId(const std::string& id) { return id.substr(0, 13); }

std::string HumanDuration(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  int64_t s = ms / 1000;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%ldm%02lds", long(s / 60), long(s % 60));
  else std::snprintf(buf, sizeof buf, "%ldh%02ldm", long(s / 3600), long((s % 3600) / 60));
  return buf;
}

std::string Ago(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  if (!t) return "-";
  int64_t s = (NowMs() - *t) / 1000;
  if (s < 60) return std::to_string(std::max<int64_t>(s, 0)) + "s ago";
  if (s < 3600) return std::to_string(s / 60) + "m ago";
  if (s < 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

std::string Excerpt(std::string s, size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max - 1) + "…";
  return s;
}

bool IsTerminalStatus(const std::string& s) {
  return s == "completed" || s == "failed" || s == "cancelled" || s == "interrupted";
}

// The exit code a shell would show for how the session ended.
int SessionExitCode(const json& s) {
  std::string status = Str(s, "status");
  if (s.contains("exit_code") && s["exit_code"].is_number()) {
    int code = s["exit_code"].get<int>();
    if (status == "failed" && code == 0) return 1;  // e.g. the agent reported an error
    return code;
  }
  if (s.contains("signal") && s["signal"].is_string()) {
    std::string sig = s["signal"];
    for (int n = 1; n < 65; ++n) {
      const char* abbrev = sigabbrev_np(n);
      if (abbrev && sig == std::string("SIG") + abbrev) return 128 + n;
    }
    return 128;
  }
  if (status == "completed") return 0;
  if (status == "cancelled") return 130;
  return 1;
}

void WriteOut(FILE* f, const std::string& bytes) {
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fflush(f);
}

// Prints log data as people read it: a structured session's stdout becomes a transcript (see
// agents/transcript.h); everything else passes through byte for byte.
class LogPrinter {
 public:
  explicit LogPrinter(std::unique_ptr<TranscriptRenderer> renderer) : renderer_(std::move(renderer)) {}
  void Print(const std::string& level, const std::string& data) {
    if (!renderer_) {
      WriteOut(level == "stderr" ? stderr : stdout, data);
      return;
    }
    if (level == "stderr") {
      WriteOut(stderr, data);
      return;
    }
    pending_ += data;
    size_t pos;
    while ((pos = pending_.find('\n')) != std::string::npos) {
      std::string out = renderer_->Line(std::string_view(pending_).substr(0, pos));
      if (!out.empty()) WriteOut(stdout, out);
      pending_.erase(0, pos + 1);
    }
  }
  void Finish() {
    if (!renderer_) return;
    std::string out = pending_.empty() ? "" : renderer_->Line(pending_);
    out += renderer_->Finish();
    if (!out.empty()) WriteOut(stdout, out);
    pending_.clear();
  }

 private:
  std::unique_ptr<TranscriptRenderer> renderer_;
  std::string pending_;
};

// The transcript renderer for an autonomous agent session (nullptr: print bytes as they are).
std::unique_ptr<TranscriptRenderer> WantsTranscript(const json& session, bool raw) {
  if (raw || Str(session, "mode") != "autonomous") return nullptr;
  return MakeTranscriptRenderer(Str(session, "tool"));
}

// Streams a session's output from `since_seq` until it ends. Returns the final session JSON.
json Follow(DaemonClient& client, const std::string& id, int64_t since_seq, LogPrinter& printer) {
  auto stream = client.OpenStream("/api/stream");
  if (!stream.ok()) Fail(stream.error().message, kExitUnreachable);
  if (auto st = (*stream)->Send({{"type", "subscribe"}, {"session_id", id}, {"since_seq", since_seq}}); !st.ok())
    Fail(st.error().message, kExitUnreachable);
  int64_t expected = since_seq + 1;
  std::optional<int64_t> final_seq;
  json final_session;
  for (;;) {
    if (final_seq && expected > *final_seq) break;
    auto msg = (*stream)->Receive();
    if (!msg.ok()) Fail("lost the connection to the daemon while following " + ShortId(id), kExitUnreachable);
    std::string type = Str(*msg, "type");
    if (type == "log") {
      int64_t seq = (*msg)["seq"].get<int64_t>();
      if (seq < expected) continue;
      if (seq > expected) Fail("log stream gap: expected seq " + std::to_string(expected) + ", got " + std::to_string(seq));
      printer.Print(Str(*msg, "level"), Base64Decode(Str(*msg, "data")).value_or(""));
      expected = seq + 1;
    } else if (type == "status") {
      if (IsTerminalStatus(Str(*msg, "status"))) {
        final_seq = (*msg)["log_seq"].get<int64_t>();
        final_session = (*msg)["session"];
      }
    } else if (type == "error") {
      Fail((*msg)["error"].value("message", "stream error"));
    }
  }
  printer.Finish();
  return final_session;
}

// Prints logs already stored (no follow). Returns the last seq printed.
int64_t PrintStoredLogs(DaemonClient& c, const json& session, std::optional<int64_t> tail, bool raw,
                        LogPrinter& printer) {
  const std::string id = Str(session, "id");
  int64_t after = 0;
  bool first = true;
  for (;;) {
    std::string target = "/api/sessions/" + id + "/logs?after_seq=" + std::to_string(after);
    if (first && tail) target += "&tail=" + std::to_string(*tail);
    first = false;
    json page = Call(c, "GET", target);
    const json& chunks = page["chunks"];
    if (chunks.empty()) break;
    for (const auto& ch : chunks) printer.Print(Str(ch, "level"), Base64Decode(Str(ch, "data")).value_or(""));
    after = page["last_seq"].get<int64_t>();
    if (after >= page["log_seq"].get<int64_t>()) break;
  }
  (void)raw;
  return after;
}

// SIGINT while a session runs in the foreground: the first stops the session (like `docker run`
// forwarding the signal), a second detaches and leaves it to the daemon.
void InstallForegroundInterrupt(DaemonClient client, std::string id) {
  // A shell that started us in the background may have set SIGINT to ignored; an ignored signal
  // never reaches sigwait.
  ::signal(SIGINT, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([client, id, set]() mutable {
    int sig = 0;
    sigwait(&set, &sig);
    std::fprintf(stderr, "\nagentmux: stopping session %s (Ctrl-C again to detach and leave it running)\n",
                 ShortId(id).c_str());
    (void)client.Request("POST", "/api/sessions/" + id + "/stop", "{}");
    sigwait(&set, &sig);
    std::fprintf(stderr, "agentmux: detached; the session continues (agentmux logs -f %s)\n", ShortId(id).c_str());
    std::fflush(stderr);
    ::_exit(130);
  }).detach();
}

// `attach`: the local terminal joins a PTY session like `tmux attach`. Output comes on one
// WebSocket (read by a thread), keystrokes and window sizes go on a second one, so each stream is
// used by one thread only. Detach with Ctrl-\ then d, or Enter ~ . (ssh style).
std::atomic<bool> g_winch{false};

int Attach(DaemonClient& client, const json& session) {
  const std::string id = Str(session, "id");
  if (!isatty(STDIN_FILENO)) Fail("attach needs a terminal on stdin");
  if (IsTerminalStatus(Str(session, "status")) || Str(session, "status") == "pending")
    Fail("session " + ShortId(id) + " is " + Str(session, "status") + "; only a running session can be attached");
  // Recent output first, so the screen is not blank; then live from where that ended.
  auto recent = client.Request("GET", "/api/sessions/" + id + "/logs?format=raw&tail=40");
  if (!recent.ok()) Fail(recent.error().message, kExitUnreachable);
  int64_t since = std::atoll(recent->headers["x-agentmux-last-seq"].c_str());
  auto out_stream = client.OpenStream("/api/stream");
  auto in_stream = client.OpenStream("/api/stream");
  if (!out_stream.ok() || !in_stream.ok()) Fail("cannot open a stream to the daemon", kExitUnreachable);
  (void)(*out_stream)->Send({{"type", "subscribe"}, {"session_id", id}, {"since_seq", since}});

  struct termios saved {};
  tcgetattr(STDIN_FILENO, &saved);
  struct termios raw_mode = saved;
  cfmakeraw(&raw_mode);
  tcsetattr(STDIN_FILENO, TCSANOW, &raw_mode);
  auto restore = [&] { tcsetattr(STDIN_FILENO, TCSANOW, &saved); };
  WriteOut(stdout, recent->body);

  int wake[2];
  if (::pipe(wake) != 0) Fail("pipe failed");
  std::atomic<int> end_code{-1};
  std::string end_message;
  std::thread reader([&] {
    for (;;) {
      auto msg = (*out_stream)->Receive();
      if (!msg.ok()) {
        end_message = "lost the connection to the daemon";
        end_code = kExitUnreachable;
        break;
      }
      std::string type = Str(*msg, "type");
      if (type == "log") WriteOut(stdout, Base64Decode(Str(*msg, "data")).value_or(""));
      if (type == "status" && IsTerminalStatus(Str(*msg, "status"))) {
        end_message = "session " + ShortId(id) + " " + Str(*msg, "status");
        end_code = SessionExitCode((*msg)["session"]);
        break;
      }
    }
    char c = 'x';
    ssize_t ignored = ::write(wake[1], &c, 1);
    (void)ignored;
  });
  reader.detach();

  struct sigaction sa {};
  sa.sa_handler = [](int) { g_winch = true; };
  sigaction(SIGWINCH, &sa, nullptr);
  auto send_size = [&] {
    struct winsize ws {};
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
      (void)(*in_stream)->Send({{"type", "resize"}, {"session_id", id}, {"cols", ws.ws_col}, {"rows", ws.ws_row}});
  };
  send_size();

  bool prefix = false;       // saw Ctrl-\ .
  bool line_start = true;    // for Enter ~ .
  bool tilde = false;
  std::string detach_reason;
  while (end_code < 0 && detach_reason.empty()) {
    if (g_winch.exchange(false)) send_size();
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (::poll(fds, 2, 200) <= 0) continue;
    if (fds[1].revents) break;
    char buf[4096];
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n <= 0) break;
    std::string input;
    for (ssize_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (prefix) {
        prefix = false;
        if (c == 'd' || c == 'D') {
          detach_reason = "detached";
          break;
        }
        input += '\x1c';
        if (c == '\x1c') continue;  // Ctrl-\ twice sends one
      } else if (c == '\x1c') {
        prefix = true;
        continue;
      }
      if (tilde) {
        tilde = false;
        if (c == '.') {
          detach_reason = "detached";
          break;
        }
        input += '~';
        if (c == '~') continue;
      } else if (line_start && c == '~') {
        tilde = true;
        continue;
      }
      line_start = c == '\r' || c == '\n';
      input += c;
    }
    if (!input.empty()) (void)(*in_stream)->Send({{"type", "input"}, {"session_id", id}, {"data_b64", Base64Encode(input)}});
  }
  restore();
  std::fflush(stdout);
  if (!detach_reason.empty()) {
    std::fprintf(stderr, "\r\n[detached from %s; it keeps running — agentmux attach %s]\r\n", ShortId(id).c_str(),
                 ShortId(id).c_str());
    std::fflush(stderr);
    ::_exit(0);
  }
  std::fprintf(stderr, "\r\n[%s]\r\n", end_message.c_str());
  std::fflush(stderr);
  ::_exit(end_code < 0 ? 0 : end_code.load());
}

void PrintSession(const json& s) {
  auto line = [](const char* k, const std::string& v) { std::printf("%-18s %s\n", k, v.c_str()); };
  auto val = [](const json& v) -> std::string {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  line("id", Str(s, "id"));
  line("status", Str(s, "status"));
  line("tool", Str(s, "tool") + " (" + Str(s, "mode") + ")");
  line("project", Str(s, "project_path"));
  std::string specs;
  for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ", ") + sp.get<std::string>();
  line("specs", specs.empty() ? "-" : specs);
  line("prompt", s["prompt"].is_string() ? Excerpt(s["prompt"], 200) : "-");
  std::string cmd;
  for (const auto& a : s["command"]) cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
  line("command", cmd.empty() ? "-" : Excerpt(cmd, 200));
  line("pid", val(s["pid"]));
  line("exit code", val(s["exit_code"]));
  if (!s["signal"].is_null()) line("signal", val(s["signal"]));
  line("created", Str(s, "created_at"));
  line("started", val(s["started_at"]));
  line("ended", val(s["ended_at"]));
  line("duration", s["duration_ms"].is_number() ? HumanDuration(s["duration_ms"]) : "-");
  if (s["token_count"].is_number()) {
    line("tokens", std::to_string(s["token_count"].get<int64_t>()) + " (in " + val(s["input_tokens"]) + ", out " +
                       val(s["output_tokens"]) + ", cache read " + val(s["cache_read_tokens"]) + ", cache write " +
                       val(s["cache_creation_tokens"]) + ")");
  } else {
    line("tokens", "-");
  }
  if (s["cost_usd"].is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.6f", s["cost_usd"].get<double>());
    line("cost", buf);
  } else {
    line("cost", "-");
  }
  if (s["conversation"].is_object()) {
    const json& c = s["conversation"];
    char buf[96] = "";
    if (c["cost_usd"].is_number()) std::snprintf(buf, sizeof buf, ", $%.6f", c["cost_usd"].get<double>());
    line("conversation", val(c["token_count"]) + " tokens" + buf + " (this session and the ones it continued)");
  }
  line("turns", val(s["num_turns"]));
  line("conversation id", val(s["agent_session_id"]));
  if (!s["parent_id"].is_null()) line("parent", val(s["parent_id"]));
  if (!s["error"].is_null()) line("error", val(s["error"]));
  line("log", std::to_string(s["log_bytes"].get<int64_t>()) + " bytes in " + std::to_string(s["log_seq"].get<int64_t>()) +
                  " chunks");
  for (const auto& [k, v] : s["metadata"].items()) line(("meta " + k).c_str(), val(v));
}

void PrintList(const json& sessions) {
  std::printf("%-13s  %-11s  %-8s  %-10s  %-16s  %-34s  %-8s  %-9s  %-8s  %s\n", "ID", "STATUS", "TOOL", "MODE",
              "SPECS", "PROMPT / COMMAND", "CREATED", "DURATION", "TOKENS", "COST");
  for (const auto& s : sessions) {
    std::string specs;
    for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ",") + sp.get<std::string>();
    std::string what;
    if (s["prompt"].is_string()) what = s["prompt"];
    else
      for (const auto& a : s["command"]) what += (what.empty() ? "" : " ") + a.get<std::string>();
    char cost[24] = "-";
    if (s["cost_usd"].is_number()) std::snprintf(cost, sizeof cost, "$%.4f", s["cost_usd"].get<double>());
    std::string dur = s["duration_ms"].is_number() ? HumanDuration(s["duration_ms"]) : "-";
    if (Str(s, "status") == "running" && s["started_at"].is_string())
      if (auto t = ParseRfc3339(s["started_at"])) dur = HumanDuration(NowMs() - *t);
    std::printf("%-13s  %-11s  %-8s  %-10s  %-16s  %-34s  %-8s  %-9s  %-8s  %s\n", ShortId(Str(s, "id")).c_str(),
                Str(s, "status").c_str(), Str(s, "tool").c_str(), Str(s, "mode").c_str(),
                Excerpt(specs.empty() ? "-" : specs, 16).c_str(), Excerpt(what.empty() ? "-" : what, 34).c_str(),
                Ago(Str(s, "created_at")).c_str(), dur.c_str(),
                s["token_count"].is_number() ? std::to_string(s["token_count"].get<int64_t>()).c_str() : "-", cost);
  }
  if (sessions.empty()) std::printf("(no sessions yet — start one with: agentmux run -- echo hello)\n");
}

// Options shared by create and run.
struct CreateOpts {
  std::string tool;
  std::vector<std::string> specs;
  std::string prompt;
  CLI::Option* prompt_opt = nullptr;
  std::string mode;
  std::string project_path;
  std::vector<std::string> env;
  std::vector<std::string> command;
  std::string timeout;
  bool detach = false;
};

void AddCreateOptions(CLI::App* cmd, CreateOpts& o) {
  cmd->add_option("--tool,-t", o.tool, "agent adapter: claude, shell (default shell when a command follows --)");
  // Repeatable options take one value per occurrence: `-e K=V -- sh -c …` must leave `--` and the
  // command alone (a vector option otherwise swallows what follows; issue 11).
  cmd->add_option("--spec,-s", o.specs, "attach a spec as context (repeatable, kept in order), e.g. 028")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  o.prompt_opt = cmd->add_option("--prompt,-p", o.prompt, "instructions for the agent");
  cmd->add_option("--mode,-m", o.mode, "guided (interactive terminal) or autonomous (headless, structured)")
      ->check(CLI::IsMember({"guided", "autonomous"}));
  cmd->add_option("--project-path,-C", o.project_path, "project directory (default: current directory)");
  cmd->add_option("--env,-e", o.env,
                  "KEY=VALUE for the agent's environment, or KEY to pass this shell's value (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  cmd->add_option("--timeout", o.timeout, "end the session after this long (90s, 5m, 1h): SIGTERM, then SIGKILL; status failed");
  cmd->add_option("command", o.command, "command and arguments (after --) for the shell tool");
}

json CreateBody(const CreateOpts& o) {
  json body = {{"tool", o.tool}, {"spec_ids", o.specs}};
  std::error_code ec;
  body["project_path"] = o.project_path.empty() ? std::filesystem::current_path(ec).string()
                                                : std::filesystem::absolute(o.project_path, ec).string();
  if (o.prompt_opt && o.prompt_opt->count() > 0) body["prompt"] = o.prompt;
  if (!o.mode.empty()) body["mode"] = o.mode;
  if (!o.command.empty()) body["command"] = o.command;
  if (!o.timeout.empty()) body["timeout"] = o.timeout;
  json env = json::object();
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == 0 || kv.empty()) Fail("--env takes KEY=VALUE or KEY, got '" + kv + "'");
    if (eq == std::string::npos) {  // like `docker run -e KEY`: the value from this environment
      const char* value = std::getenv(kv.c_str());
      if (!value) Fail("--env " + kv + ": " + kv + " is not set in this environment; give --env " + kv + "=VALUE");
      env[kv] = value;
      continue;
    }
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  body["env"] = env;
  if (isatty(STDOUT_FILENO)) {
    struct winsize ws {};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
      body["cols"] = ws.ws_col;
      body["rows"] = ws.ws_row;
    }
  }
  return body;
}

}  // namespace

int RunCli(int argc, char** argv) {
  Globals g;
  CLI::App app{"agentmux — run AI coding agents as durable, observable sessions", "agentmux"};
  app.require_subcommand(1);
  app.fallthrough();  // `agentmux logs ID --home DIR` works as well as `agentmux --home DIR logs ID`
  app.add_option("--home", g.home_flag, "data directory (default $AGENTMUX_HOME or ~/.local/share/agentmux)");
  app.add_flag("--json", g.json_out, "print JSON")->configurable();
  app.set_version_flag("--version", std::string("agentmux ") + kAgentmuxVersion);

  DaemonOptions daemon_opts;
  if (const char* listen = std::getenv("AGENTMUX_LISTEN"); listen && *listen) {
    daemon_opts.listen = listen;
    daemon_opts.listen_given = true;
  }
  // The web UI: $AGENTMUX_WEB_DIR, else web/dist of the source tree this binary was built from.
  if (const char* web = std::getenv("AGENTMUX_WEB_DIR"); web && *web) daemon_opts.web_dir = web;
  else daemon_opts.web_dir = AGENTMUX_DEFAULT_WEB_DIR;
  auto* daemon = app.add_subcommand("daemon", "run the daemon in the foreground");
  daemon->add_option_function<std::string>("--listen", [&](const std::string& v) {
    daemon_opts.listen = v;
    daemon_opts.listen_given = true;
  },
                     "HOST:PORT for the HTTP/WebSocket API (default 127.0.0.1:7171; port 0 = any free port; off = "
                     "unix socket only; also $AGENTMUX_LISTEN)");
  daemon->callback([&] {
    auto home = ResolveHome(g.home_flag);
    if (!home.ok()) Fail(home.error().message);
    throw CLI::RuntimeError(RunDaemon(*home, daemon_opts));
  });

  auto* ui_url = app.add_subcommand("ui-url", "print the URL of the web UI with the access token (keep it private)");
  ui_url->callback([&] {
    auto client = Connect(g);
    auto home = ResolveHome(g.home_flag);
    std::ifstream info(home->info());
    json j = json::parse(info, nullptr, false);
    if (!j.is_object() || !j["port"].is_number())
      Fail("the daemon does not listen on TCP (it was started with --listen off); restart it with --listen 127.0.0.1:7171");
    auto token = LoadOrCreateToken(*home);
    if (!token.ok()) Fail(token.error().message);
    std::string host = Str(j, "host", "127.0.0.1");
    if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    std::printf("http://%s:%d/?token=%s\n", host.c_str(), j["port"].get<int>(), token->c_str());
  });

  auto* session = app.add_subcommand("session", "manage sessions (every command here also works without `session`)");
  session->require_subcommand(1);

  CreateOpts create_opts, run_opts;
  std::string id_arg;
  int64_t grace_s = -1;
  bool raw = false, follow = false;
  int64_t tail = -1;
  std::string f_spec, f_status, f_tool, f_project;
  int64_t f_limit = 100;

  // Each command is registered under `session` and at the top level (short forms).
  auto both = [&](const std::string& name, const std::string& short_name, const std::string& help,
                  const std::function<void(CLI::App*)>& setup, const std::function<void()>& run) {
    for (CLI::App* parent : {session, &app}) {
      const std::string& n = parent == session ? name : short_name;
      if (n.empty()) continue;
      auto* cmd = parent->add_subcommand(n, help);
      if (parent == session && !short_name.empty() && short_name != name) cmd->alias(short_name);
      setup(cmd);
      cmd->callback(run);
      cmd->add_flag("--json", g.json_out, "print JSON");
    }
  };

  both("create", "create", "create a session (prints its id)", [&](CLI::App* c) {
    AddCreateOptions(c, create_opts);
  }, [&] {
    auto client = Connect(g);
    json s = Call(client, "POST", "/api/sessions", CreateBody(create_opts));
    if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
    else std::printf("%s\n", Str(s, "id").c_str());
  });

  both("start", "start", "start a pending session", [&](CLI::App* c) { c->add_option("id", id_arg)->required(); }, [&] {
    auto client = Connect(g);
    json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/start");
    if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
    else std::printf("%s started (pid %s)\n", Str(s, "id").c_str(), s["pid"].dump().c_str());
  });

  both("run", "run", "create and start a session; streams its output and exits with its exit code", [&](CLI::App* c) {
    AddCreateOptions(c, run_opts);
    c->add_flag("-d,--detach", run_opts.detach, "print the id and return at once");
  }, [&] {
    auto client = Connect(g);
    json body = CreateBody(run_opts);
    body["start"] = true;
    json s = Call(client, "POST", "/api/sessions", body);
    std::string id = Str(s, "id");
    if (run_opts.detach) {
      if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
      else std::printf("%s\n", id.c_str());
      return;
    }
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "agentmux: session %s (%s) started\n", id.c_str(), Str(s, "tool").c_str());
    InstallForegroundInterrupt(client, id);
    LogPrinter printer(WantsTranscript(s, false));
    json final_session = Follow(client, id, 0, printer);
    if (g.json_out) std::printf("%s\n", final_session.dump(2).c_str());
    if (isatty(STDERR_FILENO))
      std::fprintf(stderr, "agentmux: session %s %s (exit %d)\n", ShortId(id).c_str(), Str(final_session, "status").c_str(),
                   SessionExitCode(final_session));
    throw CLI::RuntimeError(SessionExitCode(final_session));
  });

  std::string continue_prompt, fallback = "none";
  bool continue_detach = false;
  auto follow_new = [&](DaemonClient& client, const json& s, bool detach) {
    std::string id = Str(s, "id");
    if (detach) {
      if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
      else std::printf("%s\n", id.c_str());
      return;
    }
    if (isatty(STDERR_FILENO))
      std::fprintf(stderr, "agentmux: session %s (%s, parent %s) started\n", id.c_str(), Str(s, "tool").c_str(),
                   ShortId(Str(s, "parent_id")).c_str());
    InstallForegroundInterrupt(client, id);
    LogPrinter printer(WantsTranscript(s, false));
    json final_session = Follow(client, id, 0, printer);
    if (g.json_out) std::printf("%s\n", final_session.dump(2).c_str());
    if (isatty(STDERR_FILENO) && final_session["error"].is_string())
      std::fprintf(stderr, "agentmux: %s\n", Str(final_session, "error").c_str());
    throw CLI::RuntimeError(SessionExitCode(final_session));
  };
  both("continue", "continue", "continue an ended session's agent conversation in a new session (streams it; -d to detach)",
       [&](CLI::App* c) {
         c->add_option("id", id_arg)->required();
         c->add_option("--prompt,-p", continue_prompt, "what to ask next (default: \"Continue.\")");
         c->add_option("--fallback", fallback, "fresh: if the agent lost the conversation, start a fresh one seeded "
                                               "with the earlier context")
             ->check(CLI::IsMember({"none", "fresh"}));
         c->add_flag("-d,--detach", continue_detach, "print the new id and return at once");
       },
       [&] {
         auto client = Connect(g);
         json body = {{"fallback", fallback}};
         if (!continue_prompt.empty()) body["prompt"] = continue_prompt;
         json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/continue", body);
         follow_new(client, s, continue_detach);
       });
  both("retry", "retry", "run an ended session again as a new session (same tool, specs, prompt, command)",
       [&](CLI::App* c) {
         c->add_option("id", id_arg)->required();
         c->add_flag("-d,--detach", continue_detach, "print the new id and return at once");
       },
       [&] {
         auto client = Connect(g);
         json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/retry", json::object());
         follow_new(client, s, continue_detach);
       });

  both("list", "ls", "list sessions, newest first", [&](CLI::App* c) {
    c->add_option("--spec", f_spec, "only sessions with this spec attached");
    c->add_option("--status", f_status, "only sessions with this status");
    c->add_option("--tool", f_tool, "only sessions of this tool");
    c->add_option("--project", f_project, "only sessions of this project path");
    c->add_option("--limit,-n", f_limit, "at most this many (default 100)");
  }, [&] {
    auto client = Connect(g);
    std::string q = "/api/sessions?limit=" + std::to_string(f_limit);
    if (!f_spec.empty()) q += "&spec=" + Escape(f_spec);
    if (!f_status.empty()) q += "&status=" + Escape(f_status);
    if (!f_tool.empty()) q += "&tool=" + Escape(f_tool);
    if (!f_project.empty()) {
      std::error_code ec;
      auto canon = std::filesystem::canonical(f_project, ec);
      q += "&project=" + Escape(ec ? f_project : canon.string());
    }
    json r = Call(client, "GET", q);
    if (g.json_out) std::printf("%s\n", r["sessions"].dump(2).c_str());
    else PrintList(r["sessions"]);
    // While nothing can be written (a full disk), say so where people look.
    if (r.contains("store") && r["store"].is_string())
      std::fprintf(stderr, "agentmux: the database cannot be written (%s): agents' output is held back, nothing "
                           "is lost; it resumes by itself once space is freed\n",
                   r["store"].get<std::string>().c_str());
  });

  both("view", "view", "show one session: status, exit, tokens, cost, conversation id", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json s = Call(client, "GET", "/api/sessions/" + Escape(id_arg));
    if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
    else PrintSession(s);
  });

  both("logs", "logs", "print a session's output (a structured session as a transcript; --raw for the bytes)",
       [&](CLI::App* c) {
         c->add_option("id", id_arg)->required();
         c->add_flag("-f,--follow", follow, "keep streaming until the session ends");
         c->add_option("--tail,-n", tail, "only the last N lines");
         c->add_flag("--raw", raw, "exactly the stored bytes");
       },
       [&] {
         auto client = Connect(g);
         json s = Call(client, "GET", "/api/sessions/" + Escape(id_arg));
         LogPrinter printer(WantsTranscript(s, raw));
         int64_t last = PrintStoredLogs(client, s, tail >= 0 ? std::optional(tail) : std::nullopt, raw, printer);
         if (follow) {
           json final_session = Follow(client, Str(s, "id"), last, printer);
           throw CLI::RuntimeError(SessionExitCode(final_session));
         }
         printer.Finish();
       });

  auto control = [&](const std::string& action, const std::string& past) {
    return [&, action, past] {
      auto client = Connect(g);
      json body = json::object();
      if (action == "stop" && grace_s >= 0) body["grace_ms"] = grace_s * 1000;
      json s = Call(client, "POST", "/api/sessions/" + Escape(id_arg) + "/" + action, body);
      if (action == "stop" && !IsTerminalStatus(Str(s, "status"))) {
        // Wait like `docker stop` until the process group is gone.
        int64_t deadline = MonotonicMs() + (grace_s >= 0 ? grace_s * 1000 : 10000) + 5000;
        while (!IsTerminalStatus(Str(s, "status")) && MonotonicMs() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          s = Call(client, "GET", "/api/sessions/" + Str(s, "id"));
        }
      }
      if (g.json_out) std::printf("%s\n", s.dump(2).c_str());
      else std::printf("%s %s\n", Str(s, "id").c_str(), action == "stop" ? Str(s, "status").c_str() : past.c_str());
    };
  };
  both("pause", "pause", "freeze the session's whole process group (SIGSTOP)", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, control("pause", "paused"));
  both("resume", "resume", "continue a paused session (SIGCONT)", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, control("resume", "resumed"));
  both("stop", "stop", "stop a session: SIGTERM to its process group, SIGKILL after the grace period", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
    c->add_option("--grace", grace_s, "seconds between SIGTERM and SIGKILL (default 10)");
  }, control("stop", "stopped"));
  both("delete", "rm", "delete an ended session with its logs and events", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json r = Call(client, "DELETE", "/api/sessions/" + Escape(id_arg));
    if (g.json_out) std::printf("%s\n", r.dump(2).c_str());
    else std::printf("%s deleted\n", Str(r, "deleted").c_str());
  });
  both("events", "events", "print a session's lifecycle events", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json r = Call(client, "GET", "/api/sessions/" + Escape(id_arg) + "/events");
    if (g.json_out) {
      std::printf("%s\n", r["events"].dump(2).c_str());
      return;
    }
    for (const auto& e : r["events"])
      std::printf("%s  %-14s %s\n", Str(e, "timestamp").c_str(), Str(e, "event_type").c_str(), e["data"].dump().c_str());
  });

  both("attach", "attach", "join a running session's terminal (detach: Ctrl-\\ then d, or Enter ~ .)", [&](CLI::App* c) {
    c->add_option("id", id_arg)->required();
  }, [&] {
    auto client = Connect(g);
    json s = Call(client, "GET", "/api/sessions/" + Escape(id_arg));
    throw CLI::RuntimeError(Attach(client, s));
  });

  bool repair = false;
  auto* doctor = app.add_subcommand("doctor", "check the database file; --repair backs a damaged one up and recovers it");
  doctor->add_flag("--repair", repair, "back the file up and recover what can be read (stop the daemon first)");
  doctor->add_flag("--json", g.json_out, "print JSON");
  doctor->callback([&] {
    auto home = ResolveHome(g.home_flag);
    if (!home.ok()) Fail(home.error().message);
    throw CLI::RuntimeError(RunDoctor(*home, repair, g.json_out));
  });

  auto* tools = app.add_subcommand("tools", "list agent adapters: binary, version, what is missing");
  tools->add_flag("--json", g.json_out, "print JSON");
  tools->callback([&] {
    auto client = Connect(g);
    json r = Call(client, "GET", "/api/tools");
    if (g.json_out) {
      std::printf("%s\n", r["tools"].dump(2).c_str());
      return;
    }
    for (const auto& t : r["tools"]) {
      bool ok = t["available"].get<bool>();
      std::printf("%-8s %-10s %s %s\n", Str(t, "name").c_str(), ok ? "available" : "MISSING",
                  t["binary_path"].is_string() ? Str(t, "binary_path").c_str() : "",
                  t["version"].is_string() ? ("(" + Str(t, "version") + ")").c_str() : "");
      for (const auto& n : t["notes"]) std::printf("         - %s\n", n.get<std::string>().c_str());
      if (!ok && !Str(t, "install_hint").empty()) std::printf("         - %s\n", Str(t, "install_hint").c_str());
    }
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CliError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "agentmux: %s\n", e.message.c_str());
    return e.code;
  }
  return 0;
}

}  // namespace agentmux
