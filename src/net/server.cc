#include "net/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <fstream>
#include <map>
#include <set>

#include "api/api.h"
#include "api/stream_protocol.h"
#include "net/mcp_http.h"
#include "net/ws_session.h"
#include "base/clock.h"
#include "session/manager.h"

namespace agentmux {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using nlohmann::json;
using local = asio::local::stream_protocol;

using net_detail::WsSession;

using tcp = asio::ip::tcp;

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

struct Server::Impl {
  Impl(asio::io_context& io_, Api& api_, SessionManager& manager_, ServerOptions options_)
      : io(io_), api(api_), manager(manager_), options(std::move(options_)) {}

  asio::io_context& io;
  Api& api;
  SessionManager& manager;
  ServerOptions options;
  std::unique_ptr<local::acceptor> unix_acceptor;
  std::unique_ptr<tcp::acceptor> tcp_acceptor;
  int bound_port = -1;
  // Open connections: how to close each (Close()), and the counts the caps apply to.
  uint64_t next_conn = 0;
  std::map<uint64_t, std::function<void()>> closers;
  size_t unix_open = 0, tcp_open = 0;
  std::map<std::string, size_t> tcp_open_by_peer;
  bool closing = false;
  mcp::Server* mcp = nullptr;  // /mcp (null: 404)
  std::vector<std::weak_ptr<net_detail::SseOutlet>> mcp_streams;  // closed by Close()
  // Blocking request handlers (/api/tools runs `--version` probes) and answers' `finish` work
  // (building a transcript) run here, off the loop.
  asio::thread_pool blocking{1};

  // Unregisters a connection and releases its cap slots when its coroutine ends.
  struct ConnGuard {
    Impl* impl;
    uint64_t id;
    bool tcp;
    std::string peer;
    ~ConnGuard() {
      impl->closers.erase(id);
      if (!tcp) {
        --impl->unix_open;
        return;
      }
      --impl->tcp_open;
      if (auto it = impl->tcp_open_by_peer.find(peer); it != impl->tcp_open_by_peer.end() && --it->second == 0)
        impl->tcp_open_by_peer.erase(it);
    }
  };

  // True when the Host header names this daemon (loopback names, the listen host, allowed_hosts)
  // or is absent (non-browser clients). A browser page on evil.example whose name was rebound to
  // 127.0.0.1 sends Host: evil.example — refused.
  bool HostAllowed(const http::request<http::string_body>& req) const {
    auto it = req.find(http::field::host);
    if (it == req.end()) return true;
    std::string host(it->value());
    std::string port = ":" + std::to_string(bound_port);
    for (const std::string& name : {std::string("127.0.0.1"), std::string("localhost"), std::string("[::1]"), options.tcp_host})
      if (host == name + port || host == name) return true;
    for (const auto& name : options.allowed_hosts)
      if (host == name || host == name + port) return true;
    return false;
  }

  // The request's bearer token (header, or a "bearer.<token>" WebSocket subprotocol) matches.
  bool Authorized(const http::request<http::string_body>& req) const {
    std::string_view auth = req[http::field::authorization];
    if (auth.size() > 7 && auth.substr(0, 7) == "Bearer " && ConstantTimeEquals(auth.substr(7), options.token)) return true;
    std::string protocols(req[http::field::sec_websocket_protocol]);
    size_t pos = protocols.find("bearer.");
    if (pos != std::string::npos) {
      size_t end = protocols.find_first_of(", ", pos);
      std::string_view offered = std::string_view(protocols).substr(pos + 7, end == std::string::npos ? std::string::npos : end - pos - 7);
      if (ConstantTimeEquals(offered, options.token)) return true;
    }
    return false;
  }

  // A file of the web UI; unknown paths get index.html (client-side routing).
  ApiResponse StaticFile(std::string target) const {
    if (options.web_dir.empty())
      return ErrorResponse(Error::NotFound("no_ui", "this daemon serves no web UI (build it with `make build`)"));
    target = target.substr(0, target.find_first_of("?#"));
    if (target.find("..") != std::string::npos) return ErrorResponse(Error::NotFound("no_route", "not found"));
    if (target.empty() || target == "/") target = "/index.html";
    auto read = [](const std::string& path, std::string& out) {
      std::ifstream in(path, std::ios::binary);
      if (!in) return false;
      out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      return true;
    };
    ApiResponse r;
    std::string path = options.web_dir + target;
    if (!read(path, r.body)) {
      path = options.web_dir + "/index.html";
      if (!read(path, r.body))
        return ErrorResponse(Error::NotFound("no_ui", "the web UI is not built (run `make build`)"));
    }
    static const std::map<std::string, std::string> kTypes = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".json", "application/json"},         {".png", "image/png"},
        {".ico", "image/x-icon"},              {".woff2", "font/woff2"},
        {".map", "application/json"}};
    auto dot = path.rfind('.');
    auto it = dot == std::string::npos ? kTypes.end() : kTypes.find(path.substr(dot));
    r.content_type = it == kTypes.end() ? "application/octet-stream" : it->second;
    // The page may talk only to its own origin.
    r.headers = {{"Content-Security-Policy",
                  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"}};
    return r;
  }

  // No Origin (curl, scripts, the CLI) is fine; a browser's Origin must be the daemon's own.
  bool OriginAllowed(const http::request<http::string_body>& req) const {
    auto it = req.find(http::field::origin);
    if (it == req.end()) return true;
    std::string origin(it->value());
    if (bound_port < 0) return false;  // unix socket: no browser can be behind it
    std::string port = std::to_string(bound_port);
    return origin == "http://127.0.0.1:" + port || origin == "http://localhost:" + port ||
           origin == "http://" + options.tcp_host + ":" + port;
  }

  template <typename Socket>
  asio::awaitable<void> HttpSession(Socket socket, bool via_tcp, std::string peer) {
    uint64_t conn_id = next_conn++;
    ConnGuard guard{this, conn_id, via_tcp, peer};
    // The socket lives in this frame: the closer and the deadline reach it through `open`, which
    // says whether the frame still exists.
    auto open = std::make_shared<Socket*>(&socket);
    closers[conn_id] = [open] {
      beast::error_code ignored;
      if (*open) (*open)->close(ignored);
    };
    struct Reset {
      std::shared_ptr<Socket*> p;
      ~Reset() { *p = nullptr; }
    } reset{open};
    asio::steady_timer deadline(io);
    beast::flat_buffer buf;
    try {
      for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(options.max_body_bytes);
        parser.header_limit(64 * 1024);
        beast::error_code ec;
        // A whole request within request_timeout_ms, or the connection is closed.
        deadline.expires_after(std::chrono::milliseconds(options.request_timeout_ms));
        deadline.async_wait([open](const boost::system::error_code& wait_ec) {
          beast::error_code ignored;
          if (!wait_ec && *open) (*open)->close(ignored);
        });
        co_await http::async_read(socket, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
        deadline.cancel();
        if (closing) break;
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) break;
        // GCC 12 destroys temporaries inside a co_await expression twice: build every response
        // as a named local first.
        std::optional<std::pair<ApiResponse, int>> reject;
        if (ec == http::error::body_limit) {
          reject.emplace(ErrorResponse(Error::InvalidArgument(
                             "too_large", "request body larger than " + std::to_string(options.max_body_bytes) + " bytes")),
                         413);
        } else if (ec) {
          reject.emplace(ErrorResponse(Error::InvalidArgument("bad_request", "malformed HTTP request: " + ec.message())), 400);
        }
        if (reject) {
          co_await Write(socket, reject->first, reject->second, false);
          break;
        }
        auto req = parser.release();
        std::string_view target = req.target();
        bool is_api = target.substr(0, 5) == "/api/" || target == "/api";
        bool is_mcp = target.substr(0, target.find('?')) == "/mcp";
        if (!is_api && !is_mcp && (req.method() == http::verb::get || req.method() == http::verb::head) && !websocket::is_upgrade(req)) {
          ApiResponse page = StaticFile(std::string(target));
          co_await Write(socket, page, page.status, req.keep_alive());
          if (!req.keep_alive()) break;
          continue;
        }
        if (via_tcp && !HostAllowed(req)) {
          reject.emplace(ErrorResponse(Error{ErrorKind::kInvalidArgument, "bad_host",
                                             "Host " + std::string(req[http::field::host]).substr(0, 100) +
                                                 " is not this daemon's (use http://127.0.0.1:" +
                                                 std::to_string(bound_port) + "/)"}),
                         403);
        } else if (via_tcp && !Authorized(req)) {
          reject.emplace(ErrorResponse(Error{ErrorKind::kInvalidArgument, "unauthorized",
                                             "this endpoint needs `Authorization: Bearer <token>`; the token is in "
                                             "$AGENTMUX_HOME/token (`agentmux ui-url` prints a URL with it)"}),
                         401);
        } else if ((is_mcp || websocket::is_upgrade(req) ||
                    (req.method() != http::verb::get && req.method() != http::verb::head)) &&
                   !OriginAllowed(req)) {
          reject.emplace(ErrorResponse(Error{ErrorKind::kInvalidArgument, "bad_origin",
                                             "cross-origin request refused: Origin " + std::string(req[http::field::origin]) +
                                                 " is not this daemon's"}),
                         403);
        }
        if (reject) {
          co_await Write(socket, reject->first, reject->second, false);
          break;
        }
        if (is_mcp) {
          // An event stream ends the connection; a plain answer is written here.
          auto serving = net_detail::ServeMcp(io, mcp, mcp_streams, socket, req);
          std::optional<net_detail::McpPlainAnswer> plain = co_await std::move(serving);
          if (!plain) break;
          ApiResponse res;
          res.status = plain->status;
          res.body = std::move(plain->body);
          res.headers = std::move(plain->headers);
          co_await Write(socket, res, res.status, req.keep_alive());
          if (!req.keep_alive()) break;
          continue;
        }
        if (websocket::is_upgrade(req)) {
          *open = nullptr;  // the WebSocket session owns the socket now, and registers its own closer
          closers.erase(conn_id);
          co_await Upgrade(std::move(socket), std::move(req));
          co_return;
        }
        ApiRequest api_req{std::string(req.method_string()), std::string(req.target()), req.body()};
        ApiResponse res;
        if (req.method() == http::verb::get && api_req.target.rfind("/api/tools", 0) == 0) {
          // Probing each CLI's version may start processes (up to 5 s each): on the blocking pool,
          // so the loop keeps serving every other client and session meanwhile.
          // (GCC 12: no temporaries inside the co_await expression, see above.)
          auto on_pool = asio::co_spawn(blocking, HandleOnPool(api_req), asio::use_awaitable);
          res = co_await std::move(on_pool);
        } else {
          res = api.Handle(api_req);
        }
        if (res.finish) {
          // Work the handler left for off the loop (building a transcript): on the blocking pool.
          auto on_pool = asio::co_spawn(blocking, FinishOnPool(std::move(res.finish)), asio::use_awaitable);
          res = co_await std::move(on_pool);
        }
        bool keep = req.keep_alive();
        co_await Write(socket, res, res.status, keep);
        if (!keep) break;
      }
    } catch (const std::exception& e) {
      spdlog::debug("http connection closed: {}", e.what());
    }
    beast::error_code ignored;
    socket.shutdown(Socket::shutdown_both, ignored);
  }

  template <typename Socket>
  asio::awaitable<void> Write(Socket& socket, const ApiResponse& r, int status, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::server, std::string("agentmux/") + kAgentmuxVersion);
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    co_await http::async_write(socket, res, asio::use_awaitable);
  }

  template <typename Socket>
  asio::awaitable<void> Upgrade(Socket socket, http::request<http::string_body> req) {
    // /api/stream, or /api/sessions/:id/stream[?since_seq=N] which subscribes at once.
    std::string target(req.target());
    std::string path = target.substr(0, target.find('?'));
    std::optional<std::pair<std::string, int64_t>> auto_sub;
    const std::string prefix = "/api/sessions/";
    if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size() + 7 && path.substr(path.size() - 7) == "/stream") {
      std::string id = path.substr(prefix.size(), path.size() - prefix.size() - 7);
      int64_t since = 0;
      if (auto q = target.find("since_seq="); q != std::string::npos) since = std::atoll(target.c_str() + q + 10);
      auto_sub = std::make_pair(id, since);
    } else if (path != "/api/stream") {
      ApiResponse not_found = ErrorResponse(Error::NotFound("no_route", "no WebSocket endpoint at " + path));
      co_await Write(socket, not_found, 404, false);
      co_return;
    }
    auto ws = std::make_shared<WsSession<Socket>>(websocket::stream<Socket>(std::move(socket)), manager, options);
    uint64_t ws_id = next_conn++;
    closers[ws_id] = [weak = std::weak_ptr<WsSession<Socket>>(ws)] {
      if (auto w = weak.lock()) w->Close();
    };
    try {
      co_await ws->Run(std::move(req), auto_sub);
    } catch (const std::exception& e) {
      spdlog::debug("websocket closed: {}", e.what());
    }
    closers.erase(ws_id);
    ws->Close();
  }

  asio::awaitable<ApiResponse> HandleOnPool(ApiRequest request) { co_return Finished(api.Handle(request)); }
  static asio::awaitable<ApiResponse> FinishOnPool(std::function<ApiResponse()> finish) { co_return finish(); }

  // After EMFILE/ENFILE (no fd for the new connection) the pending connection stays queued and
  // accept fails again at once: wait before retrying instead of spinning at 100 % CPU.
  asio::awaitable<void> BackOff(const beast::error_code& ec) {
    static int64_t last_warning = 0;
    if (NowMs() - last_warning > 10'000) {
      last_warning = NowMs();
      spdlog::warn("accept failed: {} — too many open files; waiting before accepting again", ec.message());
    }
    asio::steady_timer t(io, std::chrono::milliseconds(100));
    co_await t.async_wait(asio::use_awaitable);
  }

  static bool OutOfFds(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory;
  }

  asio::awaitable<void> AcceptUnix() {
    for (;;) {
      beast::error_code ec;
      local::socket socket = co_await unix_acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !unix_acceptor) co_return;
      if (OutOfFds(ec)) {
        co_await BackOff(ec);
        continue;
      }
      if (ec) continue;
      if (unix_open >= options.max_unix_connections) {
        spdlog::warn("refused a unix-socket client: {} connections are open", unix_open);
        continue;  // closed as `socket` goes out of scope
      }
      // Only our own user (or root) may talk to the daemon.
      struct ucred cred {};
      socklen_t len = sizeof cred;
      if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
          (cred.uid != ::geteuid() && cred.uid != 0)) {
        spdlog::warn("refused a unix-socket client with uid {}", cred.uid);
        continue;
      }
      ++unix_open;
      asio::co_spawn(io, HttpSession(std::move(socket), false, ""), asio::detached);
    }
  }

  asio::awaitable<void> AcceptTcp() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await tcp_acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !tcp_acceptor) co_return;
      if (OutOfFds(ec)) {
        co_await BackOff(ec);
        continue;
      }
      if (ec) continue;
      std::string peer = socket.remote_endpoint(ec).address().to_string();
      if (ec) continue;
      if (tcp_open >= options.max_tcp_connections || tcp_open_by_peer[peer] >= options.max_tcp_connections_per_peer) {
        static int64_t last_warning = 0;
        if (NowMs() - last_warning > 10'000) {
          last_warning = NowMs();
          spdlog::warn("refusing TCP connections: {} open ({} from {}); the caps are {} and {} per address", tcp_open,
                       tcp_open_by_peer[peer], peer, options.max_tcp_connections, options.max_tcp_connections_per_peer);
        }
        if (tcp_open_by_peer[peer] == 0) tcp_open_by_peer.erase(peer);
        continue;  // closed as `socket` goes out of scope
      }
      socket.set_option(tcp::no_delay(true), ec);
      ++tcp_open;
      ++tcp_open_by_peer[peer];
      asio::co_spawn(io, HttpSession(std::move(socket), true, peer), asio::detached);
    }
  }
};

Server::Server(asio::io_context& io, Api& api, SessionManager& manager, ServerOptions options)
    : impl_(new Impl(io, api, manager, std::move(options))) {}

Server::~Server() { Close(); }

Status Server::Listen() {
  // TCP first: if its port is taken the caller may retry with another, and no client can have
  // connected to a unix socket that is about to be replaced.
  if (impl_->options.tcp_port >= 0) {
    if (impl_->options.token.size() < 16) return Error::Internal("refusing to listen on TCP without a token");
    try {
      auto addr = asio::ip::make_address(impl_->options.tcp_host);
      auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
      tcp::endpoint ep(addr, static_cast<unsigned short>(impl_->options.tcp_port));
      acceptor->open(ep.protocol());
      acceptor->set_option(asio::socket_base::reuse_address(true));
      acceptor->bind(ep);
      acceptor->listen();
      impl_->bound_port = acceptor->local_endpoint().port();
      impl_->tcp_acceptor = std::move(acceptor);
    } catch (const boost::system::system_error& e) {
      return Error::Unavailable("listen_failed", "cannot listen on " + impl_->options.tcp_host + ":" +
                                                     std::to_string(impl_->options.tcp_port) + ": " + e.code().message() +
                                                     " (another daemon? choose another with --listen HOST:PORT, or port 0)");
    }
  }
  const std::string& path = impl_->options.unix_socket_path;
  ::unlink(path.c_str());  // the caller holds the daemon lock: any socket file left is stale
  try {
    mode_t old = ::umask(0177);
    impl_->unix_acceptor = std::make_unique<local::acceptor>(impl_->io, local::endpoint(path));
    ::umask(old);
    ::chmod(path.c_str(), 0600);
  } catch (const std::exception& e) {
    return Error::Internal("cannot listen on " + path + ": " + e.what());
  }
  asio::co_spawn(impl_->io, impl_->AcceptUnix(), asio::detached);
  if (impl_->tcp_acceptor) asio::co_spawn(impl_->io, impl_->AcceptTcp(), asio::detached);
  return OkStatus();
}

int Server::tcp_port() const { return impl_->bound_port; }

void Server::SetMcp(mcp::Server* mcp) { impl_->mcp = mcp; }

size_t Server::connection_count() const { return impl_->closers.size(); }

void Server::Close() {
  impl_->closing = true;
  // Every open connection: WebSocket sessions drop their subscriptions now, while the manager
  // still exists; their frames may be destroyed later with the io_context, touching nothing.
  auto closers = impl_->closers;
  for (auto& [id, close] : closers) close();
  for (auto& weak : impl_->mcp_streams)
    if (auto s = weak.lock()) s->Close();
  beast::error_code ec;
  if (impl_->unix_acceptor) {
    impl_->unix_acceptor->close(ec);
    impl_->unix_acceptor.reset();
  }
  if (impl_->tcp_acceptor) {
    impl_->tcp_acceptor->close(ec);
    impl_->tcp_acceptor.reset();
  }
}

}  // namespace agentmux
