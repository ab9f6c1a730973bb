// Fuzz target: HTTP request decoding and routing, Api::Handle(ApiRequest{method, target, body})
// (src/api/api.h), against a real SessionManager on a real Store (SQLite file in a temp dir created
// once per process) with an io_context and the built-in AdapterRegistry.
//
// Input: byte 0 picks the method ('G' GET, 'P' POST, 'D' DELETE, 'U' PUT, any other byte b →
// GET/POST/DELETE/PUT by b % 4); the rest of the first line is ignored; the second line is the
// target; everything after the second newline is the body. "@PROJECT@" in the target or body
// becomes the path of a fixture project with specs 001-first, 002-second and 028-cli-ui.
//
// The store holds fixture sessions with fixed ids (so inputs can name them) — a pending shell
// session, a completed claude session with logs and events, an interrupted codex session and a
// "running" record without a process (left by an earlier daemon) — and is put back to exactly that
// after every request that is not a GET.
//
// Nothing may start a process. Dropped before Handle(): POST whose target (raw or percent-decoded)
// contains "start", "resume", "retry" or "continue" (any case); bodies containing the bytes "start"
// (any case) or whose JSON object has a "start" key (\u escapes); targets that mention "tools"
// (GET /api/tools runs the agent CLIs' --version). After each request the harness aborts if a
// session is live, i.e. if anything did start.
//
// Findings besides crashes and sanitizer reports: a 500 response (an exception escaped to Handle's
// catch-all: the API answers malformed input with 4xx) and a JSON response whose body is not JSON.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "api/api.h"
#include "fuzz_util.h"
#include "session/manager.h"
#include "store/store.h"

namespace {

using agentmux_fuzz::Fail;
using nlohmann::json;

constexpr int64_t kT0 = 1764650000000;  // 2025-12-02T04:33:20Z

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool Mentions(std::string_view text, std::initializer_list<const char*> words) {
  std::string low = Lower(text);
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return low.find(w) != std::string::npos; });
}

void ReplaceAll(std::string& s, std::string_view from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

struct World {
  agentmux_fuzz::TempDir dir{"http"};
  std::string project;
  boost::asio::io_context io;
  std::unique_ptr<agentmux::Store> store;
  agentmux::AdapterRegistry adapters;
  std::unique_ptr<agentmux::SessionManager> manager;
  std::unique_ptr<agentmux::Api> api;

  World() {
    project = std::filesystem::canonical(dir.path()).string() + "/project";
    agentmux_fuzz::WriteFile(project + "/specs/001-first/README.md",
                             "---\nstatus: in-progress\n---\n\n# First spec\n\nDo the first thing.\n");
    agentmux_fuzz::WriteFile(project + "/specs/002-second.md", "# Second spec\n\nThe second thing.\n");
    agentmux_fuzz::WriteFile(project + "/specs/028-cli-ui.md", "---\nstatus: planned\n---\n# CLI UI\n");
    auto opened = agentmux::Store::Open(dir.path() + "/agentmux.db");
    if (!opened.ok()) Fail("Store::Open failed", opened.error().message);
    store = std::move(*opened);
    agentmux::ManagerOptions options;
    options.default_grace_ms = 100;
    manager = std::make_unique<agentmux::SessionManager>(io, *store, adapters, options);
    api = std::make_unique<agentmux::Api>(*manager);
    Reset();
  }
  ~World() {
    api.reset();
    manager.reset();
    Poll();
    store.reset();
  }

  void Poll() {
    io.poll();
    io.restart();
  }

  agentmux::SessionRecord Record(const char* id, const char* tool, agentmux::SessionStatus status) const {
    agentmux::SessionRecord r;
    r.id = id;
    r.project_path = project;
    r.tool = tool;
    r.status = status;
    r.created_at = r.updated_at = kT0;
    return r;
  }

  // Puts the store back to the fixture sessions, whatever the last request did.
  void Reset() {
    agentmux::SessionFilter all;
    all.limit = 1000;
    std::vector<std::string> left;
    for (const auto& s : store->ListSessions(all))
      if (!manager->Delete(s.id).ok()) left.push_back(s.id);  // Delete clears the manager's own state
    using agentmux::SessionStatus;
    auto pending = Record("00000000-0000-7000-8000-0000000000a1", "shell", SessionStatus::kPending);
    pending.mode = agentmux::SessionMode::kGuided;
    pending.spec_ids = {"001-first"};
    pending.command = {"echo", "hi"};
    pending.env = {{"FOO", "bar"}};
    pending.metadata = {{"pty_cols", "80"}};
    pending.context = "## Spec 001-first: First spec\n\n...\n";

    auto done = Record("00000000-0000-7000-8000-0000000000b2", "claude", SessionStatus::kCompleted);
    done.spec_ids = {"001-first", "028-cli-ui"};
    done.prompt = "fix the lint errors";
    done.exit_code = 0;
    done.started_at = kT0 + 10;
    done.ended_at = kT0 + 5000;
    done.duration_ms = 4990;
    done.usage = agentmux::Usage{100, 20, 5, 1};
    done.cost_usd = 0.25;
    done.conversation_usage = done.usage;
    done.conversation_cost_usd = 0.25;
    done.num_turns = 2;
    done.agent_session_id = "3f1c2a4e-0000-4000-8000-000000000001";
    done.log_seq = 3;

    auto interrupted = Record("00000000-0000-7000-8000-0000000000c3", "codex", SessionStatus::kInterrupted);
    interrupted.parent_id = done.id;
    interrupted.agent_session_id = "thread-1";
    interrupted.error = "daemon restarted";

    auto orphan = Record("00000000-0000-7000-8000-0000000000d4", "gemini", SessionStatus::kRunning);
    orphan.started_at = kT0 + 20;

    std::vector<std::string> chunks = {
        R"({"type":"system","subtype":"init","session_id":"3f1c2a4e-0000-4000-8000-000000000001"})" "\n",
        "line one\nline two\r\n\x1b[32mgreen\x1b[0m\n",
        std::string("partial \xff\xfe\0 end", 15)};
    for (const auto& c : chunks) done.log_bytes += static_cast<int64_t>(c.size());

    agentmux::Status st = store->Write([&](agentmux::StoreTxn& t) {
      for (const auto& id : left) t.DeleteSession(id);  // e.g. the "running" record without a process
      for (const auto* r : {&pending, &done, &interrupted, &orphan}) {
        t.InsertSession(*r);
        t.InsertEvent(r->id, "created", {{"tool", r->tool}}, r->created_at);
      }
      t.InsertEvent(done.id, "started", {{"pid", 4242}}, kT0 + 10);
      t.InsertEvent(done.id, "tool_use", {{"tool", "Bash"}, {"input", "ls -la"}}, kT0 + 20);
      t.InsertEvent(done.id, "turn_finished", {{"is_error", false}}, kT0 + 30);
      t.InsertEvent(done.id, "completed", {{"exit_code", 0}}, kT0 + 5000);
      t.InsertEvent(interrupted.id, "interrupted", {{"reason", "daemon restarted"}}, kT0 + 40);
    });
    if (!st.ok()) Fail("fixture write failed", st.error().message);
    int64_t offset = 0, seq = 0;
    for (const auto& c : chunks) {
      auto chunk = std::make_shared<agentmux::LogChunk>();
      chunk->session_id = done.id;
      chunk->seq = ++seq;
      chunk->offset = offset;
      chunk->ts = kT0 + 100 * seq;
      chunk->level = "stdout";
      chunk->data = c;
      chunk->line_count = std::count(c.begin(), c.end(), '\n');
      offset += static_cast<int64_t>(c.size());
      store->AppendLog(std::move(chunk));
    }
    store->Flush();
    Poll();
  }
};

World& W() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  World& w = W();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const char* kMethods[] = {"GET", "POST", "DELETE", "PUT"};
  agentmux::ApiRequest req;
  switch (data[0]) {
    case 'G': req.method = "GET"; break;
    case 'P': req.method = "POST"; break;
    case 'D': req.method = "DELETE"; break;
    case 'U': req.method = "PUT"; break;
    default: req.method = kMethods[data[0] % 4];
  }
  size_t nl1 = in.find('\n');
  if (nl1 == std::string_view::npos) return 0;
  size_t nl2 = in.find('\n', nl1 + 1);
  req.target = std::string(in.substr(nl1 + 1, nl2 == std::string_view::npos ? std::string_view::npos : nl2 - nl1 - 1));
  if (nl2 != std::string_view::npos) req.body = std::string(in.substr(nl2 + 1));
  ReplaceAll(req.target, "@PROJECT@", w.project);
  ReplaceAll(req.body, "@PROJECT@", w.project);

  // ---- never let anything start a process ----
  std::string decoded;  // the path as the API routes it (percent-decoded segments)
  if (auto url = boost::urls::parse_origin_form(req.target)) {
    for (auto seg : url->segments()) decoded += "/" + std::string(seg);
  }
  if (Mentions(req.target, {"tools"}) || Mentions(decoded, {"tools"})) return 0;
  if (req.method == "POST" && (Mentions(req.target, {"start", "resume", "retry", "continue"}) ||
                               Mentions(decoded, {"start", "resume", "retry", "continue"})))
    return 0;
  if (Mentions(req.body, {"start"})) return 0;
  json body = json::parse(req.body, nullptr, false);
  if (body.is_object() && body.contains("start")) return 0;

  agentmux::ApiResponse resp = w.api->Handle(req);
  w.Poll();
  if (w.manager->live_count() != 0) Fail("a request started a session", req.method + " " + req.target + "\n" + req.body);

  if (resp.status == 500) Fail("HTTP 500 (an exception reached Handle's catch-all)", req.method + " " + req.target + "\n" + resp.body);
  if (resp.content_type == "application/json" && json::parse(resp.body, nullptr, false).is_discarded())
    Fail("a JSON response that is not JSON", resp.body.substr(0, 400));
  if (req.method != "GET") w.Reset();
  return 0;
}
