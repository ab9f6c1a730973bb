#include "net/client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "api/api.h"

namespace agentmux {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using local = asio::local::stream_protocol;

namespace {

Result<local::socket> Connect(asio::io_context& io, const std::string& path) {
  local::socket socket(io);
  beast::error_code ec;
  socket.connect(local::endpoint(path), ec);
  if (ec == asio::error::not_found || ec == asio::error::connection_refused ||
      ec.value() == ENOENT || ec.value() == ECONNREFUSED)
    return Error::Unavailable("daemon_unreachable", "no agentmux daemon is listening on " + path);
  if (ec) return Error::Internal("cannot connect to " + path + ": " + ec.message());
  return socket;
}

class WsStream : public DaemonClient::Stream {
 public:
  WsStream(std::unique_ptr<asio::io_context> io, websocket::stream<local::socket> ws)
      : io_(std::move(io)), ws_(std::move(ws)) {}

  Status Send(const nlohmann::json& message) override {
    beast::error_code ec;
    ws_.text(true);
    ws_.write(asio::buffer(message.dump()), ec);
    if (ec) return Error::Unavailable("stream_closed", "the daemon closed the stream: " + ec.message());
    return OkStatus();
  }

  Result<nlohmann::json> Receive() override {
    beast::error_code ec;
    buf_.clear();
    ws_.read(buf_, ec);
    if (ec) return Error::Unavailable("stream_closed", "the daemon closed the stream: " + ec.message());
    auto j = nlohmann::json::parse(beast::buffers_to_string(buf_.data()), nullptr, false);
    if (j.is_discarded()) return Error::Internal("the daemon sent a message that is not JSON");
    return j;
  }

  int native_handle() override { return ws_.next_layer().native_handle(); }
  bool has_buffered() override { return buf_.size() > 0; }

 private:
  std::unique_ptr<asio::io_context> io_;
  websocket::stream<local::socket> ws_;
  beast::flat_buffer buf_;
};

// One request on a fresh connection (closed after the answer).
http::request<http::string_body> MakeRequest(const std::string& method, const std::string& target,
                                             const std::string& body, const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::user_agent, std::string("agentmux-cli/") + kAgentmuxVersion);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.keep_alive(false);
  req.prepare_payload();
  return req;
}

}  // namespace

DaemonClient::DaemonClient(std::string socket_path) : socket_path_(std::move(socket_path)) {}

Result<HttpResult> DaemonClient::Request(const std::string& method, const std::string& target,
                                         const std::string& body) {
  asio::io_context io;
  auto socket = Connect(io, socket_path_);
  if (!socket.ok()) return socket.error();
  try {
    http::write(*socket, MakeRequest(method, target, body, {}));
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 32);
    http::read(*socket, buf, parser);
    auto& res = parser.get();
    HttpResult out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    for (const auto& field : res) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      out.headers[name] = std::string(field.value());
    }
    return out;
  } catch (const boost::system::system_error& e) {
    // A daemon that is exiting (a restart, kill -9) resets connections its listener had queued.
    if (e.code() == asio::error::connection_reset || e.code() == asio::error::broken_pipe ||
        e.code() == http::error::end_of_stream || e.code() == asio::error::eof)
      return Error::Unavailable("daemon_unreachable",
                                "the agentmux daemon closed the connection without answering (" + e.code().message() +
                                    "); it was stopping");
    return Error::Internal(std::string("talking to the daemon: ") + e.what());
  } catch (const std::exception& e) {
    return Error::Internal(std::string("talking to the daemon: ") + e.what());
  }
}

Status DaemonClient::RequestStreamed(const std::string& method, const std::string& target, const std::string& body,
                                     const std::map<std::string, std::string>& headers,
                                     const std::function<void(int, const std::map<std::string, std::string>&)>& on_head,
                                     const std::function<void(std::string_view)>& on_body) {
  asio::io_context io;
  auto socket = Connect(io, socket_path_);
  if (!socket.ok()) return socket.error();
  try {
    http::write(*socket, MakeRequest(method, target, body, headers));
    beast::flat_buffer buf;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    http::read_header(*socket, buf, parser);
    std::map<std::string, std::string> head;
    for (const auto& field : parser.get()) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      head[name] = std::string(field.value());
    }
    on_head(static_cast<int>(parser.get().result_int()), head);
    char piece[16384];
    while (!parser.is_done()) {
      parser.get().body().data = piece;
      parser.get().body().size = sizeof piece;
      beast::error_code ec;
      http::read_some(*socket, buf, parser, ec);  // what has come so far: an event stream is live
      if (ec == http::error::need_buffer) ec = {};
      size_t got = sizeof piece - parser.get().body().size;
      if (got > 0) on_body(std::string_view(piece, got));
      if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == http::error::partial_message) break;
      if (ec) return Error::Unavailable("daemon_unreachable", "the stream from the daemon broke: " + ec.message());
    }
    return OkStatus();
  } catch (const boost::system::system_error& e) {
    return Error::Unavailable("daemon_unreachable", std::string("talking to the daemon: ") + e.what());
  } catch (const std::exception& e) {
    return Error::Internal(std::string("talking to the daemon: ") + e.what());
  }
}

Result<std::unique_ptr<DaemonClient::Stream>> DaemonClient::OpenStream(const std::string& target) {
  auto io = std::make_unique<asio::io_context>();
  auto socket = Connect(*io, socket_path_);
  if (!socket.ok()) return socket.error();
  websocket::stream<local::socket> ws(std::move(*socket));
  ws.read_message_max(64u << 20);
  beast::error_code ec;
  ws.handshake("localhost", target, ec);
  if (ec) return Error::Internal("WebSocket handshake with the daemon failed: " + ec.message());
  return std::unique_ptr<Stream>(new WsStream(std::move(io), std::move(ws)));
}

}  // namespace agentmux
