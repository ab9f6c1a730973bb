// The MCP server (DESIGN §9, issue 17): MCP sessions, JSON-RPC dispatch, tools (tools.h) and
// resources, independent of the transport. src/net/ maps Streamable HTTP onto it:
//   POST /mcp    Post(): one JSON-RPC message (or a batch). initialize makes a session (its id goes
//                back in Mcp-Session-Id); every later message names it. Answers come back at once
//                (application/json) or, when a request must wait (agentmux_wait, wait: true), on an
//                event stream (text/event-stream) that carries its progress notifications first.
//   GET  /mcp    OpenStream(): the session's standing event stream, where
//                notifications/resources/updated go.
//   DELETE /mcp  EndSession().
// `agentmux mcp` (src/cli) relays stdio to the same endpoints.
//
// Methods: initialize (version negotiation: protocol.h), ping, tools/list, tools/call,
// resources/list, resources/templates/list, resources/read, resources/subscribe and
// unsubscribe (agentmux://sessions/{id} — the session as JSON — and agentmux://sessions/{id}/log
// — its output as text), notifications/initialized and notifications/cancelled.
//
// Threading: loop thread only (the manager's). Outlets are called there too.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "mcp/tools.h"

namespace agentmux::mcp {

// A way back to one client: the event stream of one POST, or the standing GET stream.
class Outlet {
 public:
  virtual ~Outlet() = default;
  virtual void Send(const nlohmann::json& message) = 0;
  // No more messages: the transport ends the stream.
  virtual void Close() = 0;
  // False once the client went away.
  virtual bool open() const = 0;
};

struct PostReply {
  // 200 with `body` (a response, or an array of them for a batch); 202 (nothing to answer); 200
  // with `stream`: the answers go to the outlet, which is closed after the last; 400 (not JSON-RPC,
  // or no session id), 404 (unknown or ended session: initialize again) with `body` an error.
  int status = 200;
  nlohmann::json body;
  bool stream = false;
  std::string session_id;  // for the Mcp-Session-Id header
};

class Server {
 public:
  Server(ToolDeps deps);
  ~Server();

  // `session_id`: the Mcp-Session-Id header ("" = none). `outlet` is used only when the reply
  // says `stream`.
  PostReply Post(const std::string& session_id, const std::string& body, const std::shared_ptr<Outlet>& outlet);
  // The session's standing stream (a new one replaces the old). False: no such session (404).
  bool OpenStream(const std::string& session_id, const std::shared_ptr<Outlet>& outlet);
  // Ends the session: its calls are cancelled, its subscriptions dropped. False: no such session.
  bool EndSession(const std::string& session_id);
  size_t session_count() const;
  const std::vector<Tool>& tools() const { return tools_; }

 private:
  struct Session;
  struct Batch;
  PostReply Handle(const std::string& session_id, const std::string& body, const std::shared_ptr<Outlet>& outlet);
  nlohmann::json Dispatch(const std::shared_ptr<Session>& s, const nlohmann::json& request,
                          const std::shared_ptr<Batch>& batch);
  nlohmann::json Initialize(const nlohmann::json& request, std::string& new_session_id);
  nlohmann::json CallTool(const std::shared_ptr<Session>& s, const nlohmann::json& request,
                          const std::shared_ptr<Batch>& batch);
  nlohmann::json ListResources(const std::shared_ptr<Session>& s);
  nlohmann::json ReadResource(const nlohmann::json& request);
  nlohmann::json Subscribe(const std::shared_ptr<Session>& s, const nlohmann::json& request, bool on);
  void Expire();
  // roots/list (the client's workspace folders): asked on the standing stream when the client
  // offers it; the first file:// root becomes where the client works (Client::cwd).
  void AskRoots(const std::shared_ptr<Session>& s);
  void TakeRoots(const std::shared_ptr<Session>& s, const nlohmann::json& response);

  ToolDeps deps_;
  std::vector<Tool> tools_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace agentmux::mcp
