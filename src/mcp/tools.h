// The MCP tools (issue 17): what a tool is (name, JSON Schemas of its input and output, handler),
// one call of it (arguments, progress, cancellation, the result), and the two sets:
//   session_tools.cc       agentmux_run, _list, _view, _logs, _wait, _stop, _continue, _workspace
//   orchestrator_tools.cc  orchestrator_initialize_session, _plan_task, _execute_subtask,
//                          _complete_subtask, _get_status, _synthesize_results (seed 003 names)
// Every tool is implemented once, here, in the daemon; both transports (Streamable HTTP, and stdio
// through `agentmux mcp`) reach the same code. Session tools go through the HTTP API's handlers
// (api/api.h), so an MCP call and a REST call of the same thing behave alike.
//
// Threading: loop thread only (handlers run there; a Call's callbacks must be called there).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "base/result.h"

namespace agentmux {
class Api;
class Orchestrations;
class SessionManager;
}  // namespace agentmux

namespace agentmux::mcp {

// One MCP session (Mcp-Session-Id): who the client is and what it is bound to. Kept in daemon
// memory; after a restart a client initializes again (the stdio relay does it by itself).
struct Client {
  std::string id;
  std::string protocol_version;
  nlohmann::json client_info = nlohmann::json::object();
  // Given by the stdio relay (`agentmux mcp`) in initialize's _meta: the directory the client
  // launched it in, its environment (sessions it starts begin from it, as with the CLI) and the
  // agentmux session it runs in (AGENTMUX_SESSION_ID), if any.
  std::string cwd;
  std::optional<std::map<std::string, std::string>> environment;
  std::vector<std::string> roots;  // the client's roots (roots/list), as paths; the first is `cwd`
  std::string caller_session;
  // The orchestration this client works on (orchestrator_initialize_session), and its project.
  std::string orchestration;
  std::string project;
  int64_t last_seen_ms = 0;
};

// One tools/call in flight. The handler calls Finish or Fail exactly once, now or later (after a
// wait); Progress sends notifications/progress when the client asked for them (a progressToken).
class Call {
 public:
  nlohmann::json args;
  std::shared_ptr<Client> client;
  nlohmann::json progress_token;  // null: the client wants no progress

  // `progress` must grow from one notification to the next; `total` may be absent.
  void Progress(double progress, std::optional<double> total, const std::string& message);
  // Success: structuredContent = `structured`, text content = its JSON (or `text`).
  void Finish(nlohmann::json structured, const std::string& text = "");
  // A tool error (isError: true) whose text is "<code>: <message>" — the message says what to do.
  void Fail(const Error& error);
  // The client cancelled the request (notifications/cancelled) or went away: nothing more is sent.
  bool cancelled() const { return cancelled_; }
  bool done() const { return done_; }
  // Runs once when the call is cancelled (release waits and timers here).
  void OnCancel(std::function<void()> f) { on_cancel_ = std::move(f); }

  // For the server: where the answer and notifications go.
  std::function<void(nlohmann::json result)> reply;
  std::function<void(nlohmann::json notification)> notify;
  std::function<void()> ended;        // after Cancel: the request will never be answered
  std::function<bool()> listening;    // false once the client's stream is gone
  void Cancel();
  bool client_gone() const { return listening && !listening(); }

 private:
  bool done_ = false, cancelled_ = false;
  double last_progress_ = -1;
  std::function<void()> on_cancel_;
};

using CallPtr = std::shared_ptr<Call>;

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  nlohmann::json input_schema;   // JSON Schema (object); arguments are checked against it first
  nlohmann::json output_schema;  // JSON Schema of structuredContent
  std::function<void(const CallPtr&)> handler;
};

// What the tools work with. Not owned; all outlive the tools.
struct ToolDeps {
  boost::asio::io_context& io;
  SessionManager& manager;
  Api& api;
  Orchestrations* orchestrations;  // null: the orchestrator tools answer orchestration_unavailable
};

std::vector<Tool> SessionTools(ToolDeps deps);
std::vector<Tool> OrchestratorTools(ToolDeps deps);

// Waits until session `id` ends or `timeout_ms` passes, sending progress each second (elapsed
// seconds, with the session's status, output size and turns in the message), then calls
// `done(session JSON, timed_out)`. Stops quietly when the call is cancelled. Errors
// (session_not_found) fail the call.
void WaitForSession(ToolDeps deps, const CallPtr& call, const std::string& id, int64_t timeout_ms,
                    std::function<void(nlohmann::json session, bool timed_out)> done);

// JSON Schema pieces the tools' schemas are made of: an object of `props` (no other keys
// allowed), a described string / integer (≥ min) / boolean / list of strings, and an output schema
// that names the keys a result always has (their values are left open).
nlohmann::json ObjectSchema(nlohmann::json props, std::vector<std::string> required = {});
nlohmann::json StringSchema(const std::string& description);
nlohmann::json IntegerSchema(const std::string& description, int64_t min = 0);
nlohmann::json BooleanSchema(const std::string& description);
nlohmann::json StringListSchema(const std::string& description);
nlohmann::json OutputSchema(std::vector<std::string> required);

// Helpers shared by the tool sets.
// An API answer (status, JSON body) as a value or the Error it carries.
Result<nlohmann::json> ApiJson(Api& api, const std::string& method, const std::string& target,
                               const nlohmann::json& body = nullptr);
// `path` made absolute against where the client works (Client::cwd) when it is relative.
std::string ClientPath(const Client& client, const std::string& path);
// "%20"-style escaping of a query value.
std::string QueryEscape(const std::string& s);
// Reads an optional argument of type T (the schema was checked: types are right).
template <typename T>
std::optional<T> Arg(const nlohmann::json& args, const char* key) {
  if (!args.is_object() || !args.contains(key) || args[key].is_null()) return std::nullopt;
  return args[key].get<T>();
}

}  // namespace agentmux::mcp
