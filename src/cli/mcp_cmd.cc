// `agentmux mcp` — MCP over stdio for clients that launch a server process (Claude Code's
// --mcp-config, Codex's [mcp_servers], editors): newline-delimited JSON-RPC on stdin/stdout,
// relayed to the daemon's /mcp (mcp/server.h), starting the daemon if none runs. The tools all
// live in the daemon; this process only carries messages:
//   initialize      gets _meta "agentmux/cwd", "agentmux/environment" and "agentmux/caller_session"
//                   (where the client runs, its environment, AGENTMUX_SESSION_ID), so sessions
//                   the client starts begin where and as it is, like the CLI's.
//   a request       POSTed on a thread of its own (several may wait at once); the answer, and the
//                   progress notifications before it, are written to stdout as they come.
//   notifications   POSTed in order.
//   the session's   GET event stream (resource updates) is copied to stdout.
// When the daemon restarted meanwhile (404: unknown session), the relay initializes again with
// the client's first initialize and retries, so the client never notices.
//
// `agentmux workspace [PATH] [--json]` — the project around PATH (workflow/workspace.h).
#include "cli/mcp_cmd.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/create_options.h"
#include "workflow/workspace.h"

namespace agentmux {
using nlohmann::json;

namespace {

class Relay {
 public:
  explicit Relay(Globals& g) : g_(g), client_(Connect(g)) {}

  int Run() {
    for (std::string line; std::getline(std::cin, line);) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json m = json::parse(line, nullptr, false);
      if (m.is_discarded()) {
        Write({{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", -32700}, {"message", "Parse error: not JSON"}}}});
        continue;
      }
      bool request = m.is_object() && m.contains("method") && m.contains("id");
      if (request && m["method"] == "initialize") {
        Initialize(m);
        continue;
      }
      if (!request) {
        Post(m, false);
        continue;
      }
      std::thread([this, m] { Post(m, true); }).detach();
    }
    // The client closed stdin: end the MCP session and leave (requests still waiting die with us).
    auto headers = Headers();
    if (headers.count("Mcp-Session-Id"))
      (void)client_.RequestStreamed("DELETE", "/mcp", "", headers, [](int, const auto&) {}, [](std::string_view) {});
    std::fflush(stdout);
    ::_exit(0);
  }

 private:
  void Write(const json& m) {
    std::lock_guard<std::mutex> lock(out_mu_);
    std::string line = m.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    (void)!::write(STDOUT_FILENO, line.data(), line.size());
  }

  void Initialize(json m) {
    json& meta = m["params"]["_meta"];
    std::error_code ec;
    meta["agentmux/cwd"] = std::filesystem::current_path(ec).string();
    meta["agentmux/environment"] = CallerEnvironment();
    if (const char* s = std::getenv("AGENTMUX_SESSION_ID")) meta["agentmux/caller_session"] = s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      init_ = m;
    }
    Post(m, true);
  }

  std::map<std::string, std::string> Headers() {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<std::string, std::string> h = {{"Accept", "application/json, text/event-stream"}};
    if (!session_.empty()) h["Mcp-Session-Id"] = session_;
    return h;
  }

  // POSTs `m`; writes what comes back. A 404 (the daemon forgot the session: it restarted)
  // initializes again once and retries.
  void Post(const json& m, bool is_request) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      int status = 0;
      std::string content_type, buffer, session;
      auto on_head = [&](int s, const std::map<std::string, std::string>& h) {
        status = s;
        if (auto it = h.find("content-type"); it != h.end()) content_type = it->second;
        if (auto it = h.find("mcp-session-id"); it != h.end()) session = it->second;
      };
      auto on_body = [&](std::string_view piece) {
        buffer.append(piece);
        if (content_type.find("text/event-stream") == std::string::npos) return;
        size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          Event(buffer.substr(0, end));
          buffer.erase(0, end + 2);
        }
      };
      Status sent = client_.RequestStreamed("POST", "/mcp", m.dump(), Headers(), on_head, on_body);
      if (!sent.ok()) {
        if (attempt == 0 && sent.error().code == "daemon_unreachable") {
          (void)Connect(g_);  // starts the daemon again
          if (m.value("method", "") != "initialize" && !Reinitialize()) break;
          continue;
        }
        if (is_request) Fail(m, "the agentmux daemon is unreachable: " + sent.error().message);
        return;
      }
      if (status == 404 && m.value("method", "") != "initialize" && attempt == 0 && Reinitialize()) continue;
      if (!session.empty() && m.value("method", "") == "initialize") {
        std::lock_guard<std::mutex> lock(mu_);
        bool first = session_.empty();
        session_ = session;
        if (first) std::thread([this] { Standing(); }).detach();
      }
      if (content_type.find("text/event-stream") == std::string::npos && !buffer.empty()) {
        json answer = json::parse(buffer, nullptr, false);
        if (!answer.is_discarded() && (is_request || answer.contains("error"))) {
          Remember(m, answer);
          Write(answer);
        }
      }
      return;
    }
    if (is_request) Fail(m, "the agentmux daemon did not take the request");
  }

  void Fail(const json& m, const std::string& why) {
    Write({{"jsonrpc", "2.0"}, {"id", m.value("id", json())}, {"error", {{"code", -32603}, {"message", why}}}});
  }

  // One event of an event stream: its data lines are a JSON-RPC message.
  void Event(const std::string& event) {
    std::string data;
    size_t pos = 0;
    while (pos <= event.size()) {
      size_t nl = event.find('\n', pos);
      std::string line = event.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      if (line.rfind("data:", 0) == 0) data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
    if (data.empty()) return;
    json m = json::parse(data, nullptr, false);
    if (!m.is_discarded()) Write(m);
  }

  // The orchestration orchestrator_initialize_session bound this client to: a re-initialize after
  // a daemon restart binds to it again (initialize's _meta "agentmux/orchestration").
  void Remember(const json& request, const json& answer) {
    if (!request.contains("params") || !request["params"].is_object() ||
        request["params"].value("name", json()) != "orchestrator_initialize_session")
      return;
    const json* result = answer.contains("result") ? &answer["result"] : nullptr;
    if (!result || !result->is_object() || !result->contains("structuredContent")) return;
    const json& sc = (*result)["structuredContent"];
    if (!sc.is_object() || !sc.contains("session_id") || !sc["session_id"].is_string()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (init_.is_object()) init_["params"]["_meta"]["agentmux/orchestration"] = sc["session_id"];
  }

  bool Reinitialize() {
    json init;
    {
      std::lock_guard<std::mutex> lock(mu_);
      init = init_;
      session_.clear();
    }
    if (init.is_null()) return false;
    std::string session;
    Status s = client_.RequestStreamed(
        "POST", "/mcp", init.dump(), Headers(),
        [&](int, const std::map<std::string, std::string>& h) {
          if (auto it = h.find("mcp-session-id"); it != h.end()) session = it->second;
        },
        [](std::string_view) {});
    if (!s.ok() || session.empty()) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      session_ = session;
    }
    (void)client_.RequestStreamed("POST", "/mcp", json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump(),
                                  Headers(), [](int, const auto&) {}, [](std::string_view) {});
    return true;
  }

  // The session's standing stream, reopened while the relay lives (the daemon may restart).
  void Standing() {
    for (;;) {
      auto h = Headers();
      h["Accept"] = "text/event-stream";
      std::string buffer;
      (void)client_.RequestStreamed("GET", "/mcp", "", h, [](int, const auto&) {}, [&](std::string_view piece) {
        buffer.append(piece);
        size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          Event(buffer.substr(0, end));
          buffer.erase(0, end + 2);
        }
      });
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  Globals& g_;
  DaemonClient client_;
  std::mutex mu_, out_mu_;
  std::string session_;
  json init_;
};

std::string List(const json& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
  return out.empty() ? "-" : out;
}

}  // namespace

void AddMcpCommands(CLI::App& app, Globals& g) {
  auto* mcp = app.add_subcommand(
      "mcp", "serve MCP over stdio for Claude Code, Codex and editors (relays to the daemon's /mcp; see README)");
  mcp->callback([&] { throw CLI::RuntimeError(Relay(g).Run()); });

  static std::string path;
  auto* ws = app.add_subcommand("workspace", "describe the project around PATH: VCS root, ecosystems, package "
                                             "manager, monorepo, test command, specs");
  ws->add_option("path", path, "a directory or file (default: here)");
  ws->add_flag("--json", g.json_out, "print JSON");
  ws->callback([&] {
    auto w = DetectWorkspace(path.empty() ? "." : path);
    if (!w.ok()) Fail(w.error().message);
    json j = ToJson(*w);
    if (g.json_out) {
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    auto s = [&](const char* k) { return j[k].is_null() ? std::string("-") : j[k].is_string() ? j[k].get<std::string>() : j[k].dump(); };
    std::printf("root         %s\n", s("root").c_str());
    if (j["vcs"].is_object())
      std::printf("vcs          git %s%s\n", Str(j["vcs"], "kind").c_str(),
                  j["vcs"]["branch"].is_string() ? (", branch " + Str(j["vcs"], "branch")).c_str() : "");
    if (j["package"].is_object())
      std::printf("package      %s (%s)\n", Str(j["package"], "name").c_str(), Str(j["package"], "dir").c_str());
    std::printf("ecosystems   %s\n", List(j["ecosystems"]).c_str());
    std::printf("markers      %s\n", List(j["markers"]).c_str());
    std::printf("packages     %s\n", s("package_manager").c_str());
    if (j["monorepo"].is_object())
      std::printf("monorepo     %s: %s\n", Str(j["monorepo"], "type").c_str(), List(j["monorepo"]["patterns"]).c_str());
    std::printf("test         %s\n", s("test_command").c_str());
    if (j["specs"].is_object())
      std::printf("specs        %s (%s)\n", j["specs"]["count"].dump().c_str(), Str(j["specs"], "dir").c_str());
  });
}

}  // namespace agentmux
