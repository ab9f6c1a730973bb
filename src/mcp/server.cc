#include "mcp/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/clock.h"
#include "base/ids.h"
#include "mcp/protocol.h"
#include "mcp/resources.h"
#include "session/manager.h"
#include "workflow/orchestration.h"

namespace agentmux::mcp {
using nlohmann::json;

namespace {
constexpr size_t kMaxSessions = 1000;
constexpr int64_t kIdleSessionMs = 24LL * 3600 * 1000;  // a session untouched this long is forgotten
constexpr size_t kMaxBatch = 100;
}  // namespace

struct Server::Session {
  std::shared_ptr<Client> client = std::make_shared<Client>();
  std::shared_ptr<Outlet> standing;
  std::map<std::string, CallPtr> pending;  // request id (JSON text) → call
  std::unique_ptr<Subscriptions> subscriptions;
  bool roots = false;      // the client offers roots/list (capabilities.roots)
  std::string roots_call;  // the id of our roots/list request awaiting its answer
  int roots_asked = 0;
};

// The requests of one POST still to be answered on its event stream.
struct Server::Batch {
  std::shared_ptr<Outlet> outlet;
  size_t waiting = 0;
  void Answered() {
    if (--waiting == 0 && outlet) outlet->Close();
  }
};

Server::Server(ToolDeps deps) : deps_(deps) {
  tools_ = SessionTools(deps);
  for (auto& t : OrchestratorTools(deps)) tools_.push_back(std::move(t));
}

Server::~Server() {
  for (auto& [id, s] : sessions_)
    for (auto& [rid, call] : s->pending) call->Cancel();
}

size_t Server::session_count() const { return sessions_.size(); }

void Server::Expire() {
  int64_t now = NowMs();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    bool idle = it->second->pending.empty() && (!it->second->standing || !it->second->standing->open());
    if (idle && now - it->second->client->last_seen_ms > kIdleSessionMs) it = sessions_.erase(it);
    else ++it;
  }
  while (sessions_.size() >= kMaxSessions) {  // the least recently seen idle one goes
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
      if (it->second->pending.empty() &&
          (oldest == sessions_.end() || it->second->client->last_seen_ms < oldest->second->client->last_seen_ms))
        oldest = it;
    if (oldest == sessions_.end()) break;
    sessions_.erase(oldest);
  }
}

PostReply Server::Post(const std::string& session_id, const std::string& body, const std::shared_ptr<Outlet>& outlet) {
  try {
    return Handle(session_id, body, outlet);
  } catch (const std::exception& e) {  // a shape no check foresaw: an error answer, never a dead daemon
    spdlog::error("mcp: a message could not be handled: {}", e.what());
    PostReply reply;
    reply.status = 400;
    reply.body = ErrorMessage(nullptr, kInvalidRequest, std::string("Invalid Request: ") + e.what());
    return reply;
  }
}

PostReply Server::Handle(const std::string& session_id, const std::string& body, const std::shared_ptr<Outlet>& outlet) {
  PostReply reply;
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    reply.status = 400;
    reply.body = ErrorMessage(nullptr, kParseError, "Parse error: the body is not JSON");
    return reply;
  }
  std::vector<json> messages;
  bool batch = parsed.is_array();
  if (batch) {
    if (parsed.empty() || parsed.size() > kMaxBatch) {
      reply.status = 400;
      reply.body = ErrorMessage(nullptr, kInvalidRequest, "Invalid Request: a batch holds 1 to 100 messages");
      return reply;
    }
    for (auto& m : parsed) messages.push_back(std::move(m));
  } else {
    messages.push_back(std::move(parsed));
  }
  // initialize: alone, without a session.
  for (const auto& m : messages)
    if (Classify(m) == MessageKind::kRequest && m["method"] == "initialize") {
      if (messages.size() != 1) {
        reply.status = 400;
        reply.body = ErrorMessage(m["id"], kInvalidRequest, "Invalid Request: initialize must be sent alone");
        return reply;
      }
      Expire();
      reply.body = Initialize(m, reply.session_id);
      return reply;
    }
  if (session_id.empty()) {
    reply.status = 400;
    reply.body = ErrorMessage(nullptr, kInvalidRequest,
                              "Bad Request: no Mcp-Session-Id header; send initialize first and then its session id");
    return reply;
  }
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) {
    reply.status = 404;
    reply.body = ErrorMessage(nullptr, -32001,
                              "Session not found: this MCP session ended or the daemon restarted; initialize again");
    return reply;
  }
  auto s = it->second;
  s->client->last_seen_ms = NowMs();
  reply.session_id = session_id;
  auto pending = std::make_shared<Batch>();
  json answers = json::array();
  for (const auto& m : messages) {
    switch (Classify(m)) {
      case MessageKind::kInvalid:
        answers.push_back(ErrorMessage(m.is_object() && m.contains("id") ? m["id"] : json(nullptr), kInvalidRequest,
                                       "Invalid Request: not a JSON-RPC 2.0 message"));
        break;
      case MessageKind::kResponse:  // to the one request this server makes: roots/list
        if (!s->roots_call.empty() && m["id"] == s->roots_call) TakeRoots(s, m);
        break;
      case MessageKind::kNotification:
        if (m["method"] == "notifications/roots/list_changed") AskRoots(s);
        if (m["method"] == "notifications/cancelled" && m.contains("params") && m["params"].is_object() &&
            m["params"].contains("requestId")) {
          auto p = s->pending.find(m["params"]["requestId"].dump());
          if (p != s->pending.end()) {
            auto call = p->second;
            s->pending.erase(p);
            call->Cancel();
          }
        }
        break;
      case MessageKind::kRequest: {
        json answer = Dispatch(s, m, pending);
        if (!answer.is_null()) answers.push_back(std::move(answer));
        break;
      }
    }
  }
  if (pending->waiting > 0) {
    // Some answers come later: every answer goes on the event stream.
    pending->outlet = outlet;
    reply.stream = true;
    for (const auto& a : answers) outlet->Send(a);
    return reply;
  }
  if (answers.empty()) {
    reply.status = 202;
    return reply;
  }
  reply.body = batch ? answers : answers.front();
  return reply;
}

namespace {

// "%2F"-style escapes of a file URI's path, decoded (a bad escape stays as it is).
std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A request's params as an object ({} when absent or positional).
json ParamsOf(const json& m) { return m.contains("params") && m["params"].is_object() ? m["params"] : json::object(); }

}  // namespace

json Server::Initialize(const json& request, std::string& new_session_id) {
  const json params = ParamsOf(request);
  auto s = std::make_shared<Session>();
  Client& c = *s->client;
  c.id = NewUuidV4();  // random: the id is the session's only key
  c.protocol_version =
      NegotiateVersion(params.contains("protocolVersion") && params["protocolVersion"].is_string() ? params["protocolVersion"].get<std::string>() : "");
  if (params.contains("clientInfo") && params["clientInfo"].is_object()) c.client_info = params["clientInfo"];
  for (const char* k : {"name", "version"})
    if (c.client_info.contains(k) && !c.client_info[k].is_string()) c.client_info.erase(k);
  c.last_seen_ms = NowMs();
  // What the stdio relay adds (server.h): where the client runs, its environment, its session.
  const json meta = params.contains("_meta") && params["_meta"].is_object() ? params["_meta"] : json::object();
  if (meta.contains("agentmux/cwd") && meta["agentmux/cwd"].is_string()) c.cwd = meta["agentmux/cwd"];
  if (meta.contains("agentmux/caller_session") && meta["agentmux/caller_session"].is_string())
    c.caller_session = meta["agentmux/caller_session"];
  if (meta.contains("agentmux/environment") && meta["agentmux/environment"].is_object()) {
    std::map<std::string, std::string> env;
    for (const auto& [k, v] : meta["agentmux/environment"].items())
      if (v.is_string()) env[k] = v.get<std::string>();
    c.environment = std::move(env);
  }
  // A relay initializing again after a daemon restart names the orchestration it was bound to.
  if (meta.contains("agentmux/orchestration") && meta["agentmux/orchestration"].is_string() && deps_.orchestrations)
    if (auto o = deps_.orchestrations->Get(meta["agentmux/orchestration"].get<std::string>()); o.ok()) {
      c.orchestration = o->id;
      c.project = o->project_path;
    }
  s->subscriptions = std::make_unique<Subscriptions>(deps_.io, deps_.manager);
  s->roots = params.contains("capabilities") && params["capabilities"].is_object() &&
             params["capabilities"].contains("roots");
  new_session_id = c.id;
  sessions_[c.id] = s;
  spdlog::info("mcp: session {} for {} {} (protocol {})", c.id, c.client_info.value("name", "?"),
               c.client_info.value("version", ""), c.protocol_version);
  return Response(request["id"],
                  {{"protocolVersion", c.protocol_version},
                   {"capabilities",
                    {{"tools", {{"listChanged", false}}}, {"resources", {{"subscribe", true}, {"listChanged", false}}}}},
                   {"serverInfo", {{"name", "agentmux"}, {"title", "agentmux"}, {"version", "0.1.0"}}},
                   {"instructions",
                    "agentmux runs coding agents (Claude Code, Codex, Copilot, OpenCode, Gemini CLI, shell) as durable "
                    "sessions. Start one with agentmux_run, follow it with agentmux_wait / agentmux_logs; orchestrate "
                    "several with orchestrator_initialize_session, orchestrator_plan_task, "
                    "orchestrator_execute_subtask, orchestrator_get_status and orchestrator_synthesize_results."}});
}

json Server::Dispatch(const std::shared_ptr<Session>& s, const json& m, const std::shared_ptr<Batch>& batch) {
  const std::string method = m["method"];
  const json& id = m["id"];
  if (method == "ping") return Response(id, json::object());
  if (method == "tools/list") {
    json list = json::array();
    for (const auto& t : tools_)
      list.push_back({{"name", t.name},
                      {"title", t.title},
                      {"description", t.description},
                      {"inputSchema", t.input_schema},
                      {"outputSchema", t.output_schema}});
    return Response(id, {{"tools", list}});
  }
  if (method == "tools/call") return CallTool(s, m, batch);
  if (method == "resources/list") return Response(id, ListResources(s));
  if (method == "resources/templates/list") return Response(id, {{"resourceTemplates", ResourceTemplates()}});
  if (method == "resources/read") return ReadResource(m);
  if (method == "resources/subscribe") return Subscribe(s, m, true);
  if (method == "resources/unsubscribe") return Subscribe(s, m, false);
  if (method == "initialize")
    return ErrorMessage(id, kInvalidRequest, "Invalid Request: this session is initialized already");
  return ErrorMessage(id, kMethodNotFound, "Method not found: " + method.substr(0, 100));
}

json Server::CallTool(const std::shared_ptr<Session>& s, const json& m, const std::shared_ptr<Batch>& batch) {
  const json& id = m["id"];
  const json params = ParamsOf(m);
  if (!params.contains("name") || !params["name"].is_string())
    return ErrorMessage(id, kInvalidParams, "Invalid params: tools/call needs params.name (a tool of tools/list)");
  std::string name = params["name"];
  auto tool = std::find_if(tools_.begin(), tools_.end(), [&](const Tool& t) { return t.name == name; });
  if (tool == tools_.end()) {
    std::string names;
    for (const auto& t : tools_) names += (names.empty() ? "" : ", ") + t.name;
    return ErrorMessage(id, kInvalidParams, "Unknown tool: " + name.substr(0, 100) + " (tools: " + names + ")");
  }
  json args = params.contains("arguments") && !params["arguments"].is_null() ? params["arguments"] : json::object();
  auto call = std::make_shared<Call>();
  call->args = args;
  call->client = s->client;
  if (params.contains("_meta") && params["_meta"].is_object() && params["_meta"].contains("progressToken"))
    call->progress_token = params["_meta"]["progressToken"];
  json immediate;
  bool answered = false;
  std::string key = id.dump();
  std::weak_ptr<Session> weak = s;
  call->reply = [&immediate, &answered, weak, key, batch, id, this](json result) {
    json response = Response(id, std::move(result));
    if (!answered) {  // still inside this function: answered with the POST
      answered = true;
      immediate = std::move(response);
      return;
    }
    if (auto session = weak.lock()) session->pending.erase(key);
    if (batch->outlet && batch->outlet->open()) batch->outlet->Send(response);
    batch->Answered();
  };
  call->notify = [batch](json notification) {
    if (batch->outlet && batch->outlet->open()) batch->outlet->Send(notification);
  };
  if (auto bad = SchemaViolation(tool->input_schema, args)) {
    call->Fail(Error::InvalidArgument("bad_argument", *bad + " (see the tool's inputSchema in tools/list)"));
  } else {
    try {
      tool->handler(call);
    } catch (const std::exception& e) {
      spdlog::error("mcp: tool {} threw: {}", name, e.what());
      if (!call->done()) call->Fail(Error::Internal(std::string("the tool failed: ") + e.what()));
    }
  }
  if (answered) return immediate;
  // Answered later, on this POST's event stream; the callbacks must not reach this frame.
  answered = true;
  call->reply = [weak, key, batch, id](json result) {
    if (auto session = weak.lock()) session->pending.erase(key);
    if (batch->outlet && batch->outlet->open()) batch->outlet->Send(Response(id, std::move(result)));
    batch->Answered();
  };
  call->ended = [weak, key, batch] {
    if (auto session = weak.lock()) session->pending.erase(key);
    batch->Answered();
  };
  call->listening = [batch] { return !batch->outlet || batch->outlet->open(); };
  ++batch->waiting;
  s->pending[key] = call;
  return nullptr;
}

json Server::ListResources(const std::shared_ptr<Session>& s) {
  (void)s;
  return {{"resources", SessionResources(deps_.manager)}};
}

json Server::ReadResource(const json& m) {
  const json params = ParamsOf(m);
  if (!params.contains("uri") || !params["uri"].is_string())
    return ErrorMessage(m["id"], kInvalidParams, "Invalid params: resources/read needs params.uri");
  auto contents = ReadSessionResource(deps_.manager, deps_.api, params["uri"].get<std::string>());
  if (!contents.ok())
    return ErrorMessage(m["id"], contents.error().kind == ErrorKind::kNotFound ? kResourceNotFound : kInvalidParams,
                        contents.error().message, {{"uri", params["uri"]}});
  return Response(m["id"], {{"contents", *contents}});
}

json Server::Subscribe(const std::shared_ptr<Session>& s, const json& m, bool on) {
  const json params = ParamsOf(m);
  if (!params.contains("uri") || !params["uri"].is_string())
    return ErrorMessage(m["id"], kInvalidParams, "Invalid params: needs params.uri");
  std::string uri = params["uri"];
  if (!on) {
    s->subscriptions->Remove(uri);
    return Response(m["id"], json::object());
  }
  std::weak_ptr<Session> weak = s;
  auto added = s->subscriptions->Add(uri, [weak](const std::string& changed) {
    auto session = weak.lock();
    if (session && session->standing && session->standing->open())
      session->standing->Send(Notification("notifications/resources/updated", {{"uri", changed}}));
  });
  if (!added.ok())
    return ErrorMessage(m["id"], added.error().kind == ErrorKind::kNotFound ? kResourceNotFound : kInvalidParams,
                        added.error().message, {{"uri", uri}});
  return Response(m["id"], json::object());
}

bool Server::OpenStream(const std::string& session_id, const std::shared_ptr<Outlet>& outlet) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return false;
  if (it->second->standing && it->second->standing != outlet) it->second->standing->Close();
  it->second->standing = outlet;
  it->second->client->last_seen_ms = NowMs();
  if (it->second->roots && it->second->client->roots.empty()) AskRoots(it->second);
  return true;
}

void Server::AskRoots(const std::shared_ptr<Session>& s) {
  if (!s->roots || !s->standing || !s->standing->open()) return;
  s->roots_call = "agentmux-roots-" + std::to_string(++s->roots_asked);
  s->standing->Send({{"jsonrpc", "2.0"}, {"id", s->roots_call}, {"method", "roots/list"}});
}

void Server::TakeRoots(const std::shared_ptr<Session>& s, const json& m) {
  s->roots_call.clear();
  if (!m.contains("result") || !m["result"].is_object() || !m["result"].contains("roots") ||
      !m["result"]["roots"].is_array())
    return;
  std::vector<std::string> roots;
  for (const auto& r : m["result"]["roots"]) {
    if (!r.is_object() || !r.contains("uri") || !r["uri"].is_string()) continue;
    std::string uri = r["uri"];
    if (uri.rfind("file://", 0) != 0) continue;
    std::string path = PercentDecode(uri.substr(7));
    if (!path.empty() && path[0] == '/') roots.push_back(path);
  }
  if (roots.empty()) return;
  s->client->roots = roots;
  s->client->cwd = roots.front();  // the client's workspace wins over where a relay was launched
  spdlog::info("mcp: session {} works in {}", s->client->id, roots.front());
}

bool Server::EndSession(const std::string& session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return false;
  auto s = it->second;
  sessions_.erase(it);
  auto pending = s->pending;
  for (auto& [rid, call] : pending) call->Cancel();
  if (s->standing) s->standing->Close();
  spdlog::info("mcp: session {} ended", session_id);
  return true;
}

}  // namespace agentmux::mcp
