// MCP's Streamable HTTP transport (https://modelcontextprotocol.io/specification, "Transports") at
// /mcp, over mcp::Server (mcp/server.h):
//   POST    a JSON-RPC message or batch → 200 application/json (the answer), 202 (nothing to
//           answer) or 200 text/event-stream (progress notifications, then the answer; the stream
//           ends after it). Mcp-Session-Id comes back on initialize and is required after.
//   GET     Accept: text/event-stream → the session's standing stream (resource updates),
//           kept alive with a comment every 15 s.
//   DELETE  ends the session.
// An MCP-Protocol-Version header naming a revision this server does not speak is 400. The bearer
// token (TCP), Host and Origin checks of the rest of the API apply before this runs (server.cc).
// Event streams are delimited by closing the connection (Connection: close).
//
// Threading: the loop thread only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <deque>
#include <optional>
#include <vector>
#include <memory>
#include <string>

#include "mcp/protocol.h"
#include "mcp/server.h"

namespace agentmux::net_detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Messages for one event stream, queued on the loop and written by McpStream.
class SseOutlet : public mcp::Outlet {
 public:
  explicit SseOutlet(asio::io_context& io) : signal_(io) {}
  void Send(const nlohmann::json& message) override {
    if (closed_ || gone_) return;
    queue_.push_back("event: message\ndata: " + message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                     "\n\n");
    signal_.cancel();
  }
  void Close() override {
    closed_ = true;
    signal_.cancel();
  }
  bool open() const override { return !gone_; }

  // Writes the response head, then every message as it comes, until Close() and an empty queue
  // or until the client is gone.
  template <typename Socket>
  asio::awaitable<void> Run(Socket& socket, const std::string& session_id) {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                       "Connection: close\r\nServer: agentmux\r\n";
    if (!session_id.empty()) head += "Mcp-Session-Id: " + session_id + "\r\n";
    head += "\r\n";
    if (!co_await Write(socket, head)) co_return;
    for (;;) {
      while (!queue_.empty()) {
        std::string next = std::move(queue_.front());
        queue_.pop_front();
        if (!co_await Write(socket, next)) co_return;
      }
      if (closed_) co_return;
      signal_.expires_after(std::chrono::seconds(15));
      beast::error_code ec;
      co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!ec && queue_.empty() && !closed_ && !co_await Write(socket, std::string(": keepalive\n\n"))) co_return;
    }
  }

 private:
  template <typename Socket>
  asio::awaitable<bool> Write(Socket& socket, const std::string& bytes) {
    beast::error_code ec;
    co_await asio::async_write(socket, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) gone_ = true;
    co_return !ec;
  }

  asio::steady_timer signal_;
  std::deque<std::string> queue_;
  bool closed_ = false, gone_ = false;
};

// What a plain (non-streamed) MCP answer looks like on the wire.
struct McpPlainAnswer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

inline McpPlainAnswer McpError(int status, int code, const std::string& message) {
  return {status, mcp::ErrorMessage(nullptr, code, message).dump(), {}};
}

// Checks what every MCP request must carry; an answer to send instead when it does not.
inline std::optional<McpPlainAnswer> McpPrecheck(const http::request<http::string_body>& req) {
  auto version = req.find("MCP-Protocol-Version");
  if (version != req.end()) {
    const auto& known = mcp::ProtocolVersions();
    std::string v(version->value());
    if (std::find(known.begin(), known.end(), v) == known.end())
      return McpError(400, mcp::kInvalidRequest, "Bad Request: unsupported MCP-Protocol-Version " + v.substr(0, 40));
  }
  if (req.method() != http::verb::post && req.method() != http::verb::get && req.method() != http::verb::delete_) {
    McpPlainAnswer a = McpError(405, mcp::kInvalidRequest, "Method Not Allowed: /mcp takes POST, GET and DELETE");
    a.headers.push_back({"Allow", "POST, GET, DELETE"});
    return a;
  }
  return std::nullopt;
}

// Serves one /mcp request. An event stream is written here (nullopt: the connection ends after
// it); a plain answer is returned for the caller to write. `streams` remembers open streams so the
// server's Close() can end them.
template <typename Socket>
asio::awaitable<std::optional<McpPlainAnswer>> ServeMcp(asio::io_context& io, mcp::Server* mcp,
                                                        std::vector<std::weak_ptr<SseOutlet>>& streams, Socket& socket,
                                                        const http::request<http::string_body>& req) {
  McpPlainAnswer plain;
  std::string sid(req["Mcp-Session-Id"]);
  std::shared_ptr<SseOutlet> stream;
  std::string stream_sid;
  if (!mcp) {
    plain = McpError(404, mcp::kMethodNotFound, "this daemon serves no MCP");
  } else if (auto pre = McpPrecheck(req)) {
    plain = *pre;
  } else if (req.method() == http::verb::post) {
    auto outlet = std::make_shared<SseOutlet>(io);
    mcp::PostReply r = mcp->Post(sid, req.body(), outlet);
    if (r.stream) {
      stream = outlet;
      stream_sid = r.session_id;
    } else {
      plain.status = r.status;
      if (r.status != 202) plain.body = r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (!r.session_id.empty()) plain.headers.push_back({"Mcp-Session-Id", r.session_id});
    }
  } else if (req.method() == http::verb::get) {
    auto outlet = std::make_shared<SseOutlet>(io);
    if (std::string(req[http::field::accept]).find("text/event-stream") == std::string::npos)
      plain = McpError(406, mcp::kInvalidRequest, "Not Acceptable: GET /mcp is an event stream (Accept: text/event-stream)");
    else if (sid.empty() || !mcp->OpenStream(sid, outlet))
      plain = McpError(sid.empty() ? 400 : 404, -32001, "Session not found: initialize first (POST /mcp)");
    else
      stream = outlet, stream_sid = sid;
  } else {
    plain = mcp->EndSession(sid) ? McpPlainAnswer{200, "", {}} : McpError(404, -32001, "Session not found: nothing to end");
  }
  if (!stream) co_return plain;
  std::erase_if(streams, [](const auto& w) { return w.expired(); });
  streams.push_back(stream);
  co_await stream->Run(socket, stream_sid);
  co_return std::nullopt;
}

}  // namespace agentmux::net_detail
