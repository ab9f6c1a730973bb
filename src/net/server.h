// The daemon's network front: HTTP/1.1 and WebSocket (Boost.Beast) on the unix socket
// $AGENTMUX_HOME/daemon.sock (0600, peer uid checked). HTTP requests go to api::Api; WebSocket
// upgrades on /api/stream or /api/sessions/:id/stream become stream sessions (protocol in
// docs/protocol.md): subscribe with since_seq → replay from the store, then live, every log message
// with its seq; each client has a bounded send queue and is told to `resync` when it lags.
//
// Threading: everything runs on the io_context thread that also runs the SessionManager.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace agentmux {

class Api;
class SessionManager;
namespace mcp {
class Server;
}

struct ServerOptions {
  std::string unix_socket_path;
  // TCP listener (DESIGN §7): loopback by default; every request needs `Authorization: Bearer
  // <token>` (WebSocket clients that cannot set headers, i.e. browsers, may offer the token as the
  // subprotocol "bearer.<token>"). Port 0 = any free port; -1 = no TCP listener.
  std::string tcp_host = "127.0.0.1";
  int tcp_port = -1;
  std::string token;
  // Directory of the built web UI (web/dist), served at / without a token (the page holds no data;
  // it gets the token once from its URL and sends it as a header). "" = no UI.
  std::string web_dir;
  size_t max_body_bytes = 1u << 20;          // larger request bodies get 413
  size_t max_ws_message_bytes = 1u << 20;    // larger client messages close the connection
  size_t ws_queue_high_bytes = 4u << 20;     // a client with this much unsent is told to resync
  // Flood limits (issue 11: 20,000 idle connections exhausted the fds and the daemon spun at 100 %
  // CPU). Connections over a cap are accepted and closed at once. The unix socket has its own cap,
  // so TCP clients can never lock the CLI out.
  size_t max_tcp_connections = 512;
  size_t max_tcp_connections_per_peer = 256;  // per remote address
  size_t max_unix_connections = 512;
  // An HTTP connection must deliver a complete request within this long of opening (or of its
  // previous response): bounds slowloris and idle, unauthenticated connections. WebSocket streams
  // are exempt once upgraded (the UI keeps one open).
  int64_t request_timeout_ms = 30'000;
  // Host names accepted on TCP besides loopback names (127.0.0.1, localhost, [::1]) and tcp_host:
  // a request whose Host header names anything else is refused (DNS rebinding).
  std::vector<std::string> allowed_hosts;
};

class Server {
 public:
  Server(boost::asio::io_context& io, Api& api, SessionManager& manager, ServerOptions options);
  ~Server();
  // Binds and starts accepting. Errors: kInternal when the socket cannot be bound.
  Status Listen();
  // Stops accepting and closes every open connection (HTTP and WebSocket, whose subscriptions are
  // dropped at once): after Close() no connection touches the SessionManager again.
  void Close();
  // Open connections now (for health and tests).
  size_t connection_count() const;
  // Serves MCP's Streamable HTTP at /mcp (net/mcp_http.h); not owned, must outlive the server.
  void SetMcp(mcp::Server* mcp);
  // The TCP port actually bound (after Listen), or -1.
  int tcp_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentmux
