#include "cli/follow.h"

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
#include <chrono>
#include <mutex>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "agents/transcript.h"
#include "api/api.h"
#include "base/clock.h"
#include "cli/home.h"
#include "net/client.h"
#include "cli/common.h"

namespace agentmux {
using nlohmann::json;

void LogPrinter::Print(const std::string& level, const std::string& data) {
  WriteOut(level == "stderr" ? stderr : stdout, data);
}

void LogPrinter::Update(const json& update) {
  if (!transcript_) return;
  PrintedText text = transcript_->Apply(update);
  if (capture_) {
    *capture_ += text.err + text.out;
    return;
  }
  if (!text.err.empty()) WriteOut(stderr, text.err);
  if (!text.out.empty()) WriteOut(stdout, text.out);
}

void LogPrinter::Finish() {
  if (!transcript_) return;
  std::string out = transcript_->Finish();
  if (!out.empty()) WriteOut(stdout, out);
}

void LogPrinter::EndCapture(int64_t lines) {
  std::string text = std::move(capture_).value_or("");
  capture_.reset();
  // The last `lines` lines (a last line without its newline counts).
  size_t end = !text.empty() && text.back() == '\n' ? text.size() - 1 : text.size();
  size_t start = end;
  for (int64_t n = 0; start > 0;) {
    size_t nl = text.rfind('\n', start - 1);
    if (nl == std::string::npos) {
      start = 0;
      break;
    }
    start = nl;
    if (++n == lines) {
      ++start;
      break;
    }
  }
  if (lines > 0 && !text.empty()) WriteOut(stdout, text.substr(start));
}

bool WantsTranscript(const json& session, bool raw) {
  return !raw && session.contains("transcript") && session["transcript"].is_boolean() && session["transcript"].get<bool>();
}

// A new stream subscribed to `id` after `since_seq`, once a daemon answers again (a restart: at most
// 30 s, trying every 200 ms); nullptr when none does.
std::unique_ptr<DaemonClient::Stream> Reconnect(DaemonClient& client, const std::string& id, int64_t since_seq) {
  for (int attempt = 0; attempt < 150; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto stream = client.OpenStream("/api/stream");
    if (!stream.ok()) continue;
    if (!(*stream)->Send({{"type", "subscribe"}, {"session_id", id}, {"since_seq", since_seq}}).ok()) continue;
    return std::move(*stream);
  }
  return nullptr;
}

// Streams a session's output from `since_seq` until it ends. Returns the final session JSON.
json Follow(DaemonClient& client, const std::string& id, int64_t since_seq, LogPrinter& printer) {
  auto stream = client.OpenStream("/api/stream");
  if (!stream.ok()) Fail(stream.error().message, kExitUnreachable);
  json subscribe = {{"type", "subscribe"}, {"session_id", id}, {"since_seq", since_seq}};
  if (printer.transcript()) subscribe["transcript"] = true;
  if (auto st = (*stream)->Send(subscribe); !st.ok()) Fail(st.error().message, kExitUnreachable);
  int64_t expected = since_seq + 1;
  std::optional<int64_t> final_seq;
  json final_session;
  for (;;) {
    if (final_seq && expected > *final_seq) break;
    auto msg = (*stream)->Receive();
    if (!msg.ok()) {
      // The daemon restarted (its agents run on in their shims): follow on from the last seq. (A
      // transcript's item indexes belong to its subscription: that follow ends here instead.)
      auto again = printer.transcript() ? nullptr : Reconnect(client, id, expected - 1);
      if (!again) Fail("lost the connection to the daemon while following " + ShortId(id), kExitUnreachable);
      *stream = std::move(again);
      continue;
    }
    std::string type = Str(*msg, "type");
    if (type == "log") {
      int64_t seq = (*msg)["seq"].get<int64_t>();
      if (seq < expected) continue;
      if (seq > expected) Fail("log stream gap: expected seq " + std::to_string(expected) + ", got " + std::to_string(seq));
      // A transcript's updates for this chunk came before it (docs/api.md).
      if (!printer.transcript()) printer.Print(Str(*msg, "level"), Base64Decode(Str(*msg, "data")).value_or(""));
      expected = seq + 1;
    } else if (type == "transcript") {
      if (msg->contains("updates") && (*msg)["updates"].is_array())
        for (const auto& u : (*msg)["updates"]) printer.Update(u);
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

// Prints what is stored. Returns the last seq printed.
namespace {
// Pages through GET …/logs (the last `tail` lines when set) until the stored end, handing each
// page's chunks to `fn`; returns (the last seq read, the session's log_seq).
std::pair<int64_t, int64_t> ForEachLogPage(DaemonClient& c, const std::string& id, std::optional<int64_t> tail,
                                           const std::function<void(const json&)>& fn) {
  int64_t after = 0, log_seq = 0;
  for (bool first = true;; first = false) {
    std::string target = "/api/sessions/" + id + "/logs?after_seq=" + std::to_string(after);
    if (first && tail) target += "&tail=" + std::to_string(*tail);
    json page = Call(c, "GET", target);
    log_seq = page["log_seq"].get<int64_t>();
    if (page["chunks"].empty()) break;
    fn(page["chunks"]);
    after = page["last_seq"].get<int64_t>();
    if (after >= log_seq) break;
  }
  return {after, log_seq};
}
}  // namespace

int64_t PrintStoredLogs(DaemonClient& c, const json& session, std::optional<int64_t> tail, LogPrinter& printer) {
  const std::string id = Str(session, "id");
  if (printer.transcript()) {
    json answer = Call(c, "GET", "/api/sessions/" + id + "/transcript");
    if (tail) printer.Capture();
    const json& items = answer["items"];
    for (size_t i = 0; i < items.size(); ++i) printer.Update({{"index", i}, {"item", items[i]}});
    if (tail) printer.EndCapture(*tail);
    return answer["log_seq"].get<int64_t>();
  }
  return ForEachLogPage(c, id, tail, [&](const json& chunks) {
    for (const auto& ch : chunks) printer.Print(Str(ch, "level"), Base64Decode(Str(ch, "data")).value_or(""));
  }).first;
}

void PrintLogsJson(DaemonClient& c, const json& session, bool raw, int64_t tail) {
  const std::string id = Str(session, "id");
  if (WantsTranscript(session, raw)) {
    json answer = Call(c, "GET", "/api/sessions/" + id + "/transcript");
    json items = answer["items"];
    if (tail >= 0 && static_cast<int64_t>(items.size()) > tail) items.erase(items.begin(), items.end() - tail);
    std::printf("%s\n", json{{"session_id", id}, {"items", items}, {"log_seq", answer["log_seq"]}}.dump(2).c_str());
    return;
  }
  json chunks = json::array();
  int64_t log_seq = ForEachLogPage(c, id, tail >= 0 ? std::optional(tail) : std::nullopt, [&](const json& page) {
                      chunks.insert(chunks.end(), page.begin(), page.end());
                    }).second;
  std::printf("%s\n", json{{"session_id", id}, {"chunks", chunks}, {"log_seq", log_seq}}.dump(2).c_str());
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
  auto in_opened = client.OpenStream("/api/stream");
  if (!out_stream.ok() || !in_opened.ok()) Fail("cannot open a stream to the daemon", kExitUnreachable);
  (void)(*out_stream)->Send({{"type", "subscribe"}, {"session_id", id}, {"since_seq", since}});
  // Keystrokes and sizes go out on `in_stream`; the reader replaces it after a daemon restart.
  std::mutex in_mu;
  std::unique_ptr<DaemonClient::Stream> in_stream = std::move(*in_opened);
  // What could not be sent while the daemon was away (keys typed during a restart) goes out, in
  // order, once the reader has reconnected.
  std::vector<json> unsent;
  auto send_in = [&](const json& message) {
    std::lock_guard<std::mutex> lock(in_mu);
    if (!unsent.empty() || !in_stream || !in_stream->Send(message).ok()) {
      if (unsent.size() < 10'000) unsent.push_back(message);
    }
  };

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
    int64_t last_seq = since;
    for (;;) {
      auto msg = (*out_stream)->Receive();
      if (!msg.ok()) {
        // The daemon went away — a restart or an upgrade; the agent runs on in its shim. Join the
        // next daemon from the last seq shown, then make the program redraw (a size change
        // sends it SIGWINCH).
        {
          std::lock_guard<std::mutex> lock(in_mu);
          in_stream.reset();  // keys typed from now on wait for the next daemon
        }
        std::fprintf(stderr, "\r\n[agentmux: the daemon restarted; reconnecting…]\r\n");
        auto again = Reconnect(client, id, last_seq);
        auto input = client.OpenStream("/api/stream");
        if (!again || !input.ok()) {
          end_message = "lost the connection to the daemon";
          end_code = kExitUnreachable;
          break;
        }
        *out_stream = std::move(again);
        {
          std::lock_guard<std::mutex> lock(in_mu);
          in_stream = std::move(*input);
          for (const auto& message : std::exchange(unsent, {})) (void)in_stream->Send(message);
        }
        struct winsize ws {};
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && ws.ws_row > 1) {
          send_in({{"type", "resize"}, {"session_id", id}, {"cols", ws.ws_col}, {"rows", ws.ws_row - 1}});
          send_in({{"type", "resize"}, {"session_id", id}, {"cols", ws.ws_col}, {"rows", ws.ws_row}});
        }
        continue;
      }
      std::string type = Str(*msg, "type");
      if (type == "log" && (*msg)["seq"].is_number_integer()) last_seq = (*msg)["seq"].get<int64_t>();
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
      send_in({{"type", "resize"}, {"session_id", id}, {"cols", ws.ws_col}, {"rows", ws.ws_row}});
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
    if (!input.empty()) send_in({{"type", "input"}, {"session_id", id}, {"data_b64", Base64Encode(input)}});
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

}  // namespace agentmux
