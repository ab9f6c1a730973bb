// The CLI's side of the wire: HTTP/1.1 requests and a WebSocket stream to the daemon over its unix
// socket (Boost.Beast, synchronous). Each Request() uses a fresh connection.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace agentmux {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
  // The parsed JSON body (null if it is not JSON).
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// Connects to the daemon's unix socket. Errors: kUnavailable "daemon_unreachable" when nothing
// listens (ENOENT / ECONNREFUSED), kInternal for other I/O errors.
class DaemonClient {
 public:
  explicit DaemonClient(std::string socket_path);
  Result<HttpResult> Request(const std::string& method, const std::string& target, const std::string& body = "");

  // A request whose answer is read as it arrives (an event stream: MCP's /mcp): `on_head` once
  // with the status and headers (lowercase names), then `on_body` with each piece of the body until
  // the daemon ends it. `headers` are sent besides Host and User-Agent. Errors as Request().
  Status RequestStreamed(const std::string& method, const std::string& target, const std::string& body,
                         const std::map<std::string, std::string>& headers,
                         const std::function<void(int status, const std::map<std::string, std::string>& headers)>& on_head,
                         const std::function<void(std::string_view piece)>& on_body);

  // A WebSocket connection: Send() messages, Receive() the next one (blocks).
  class Stream {
   public:
    virtual ~Stream() = default;
    virtual Status Send(const nlohmann::json& message) = 0;
    // Errors: "stream_closed" when the daemon closed the connection.
    virtual Result<nlohmann::json> Receive() = 0;
    // The socket fd, for poll() alongside a terminal.
    virtual int native_handle() = 0;
    // True when a message is already buffered (poll would not show it).
    virtual bool has_buffered() = 0;
  };
  Result<std::unique_ptr<Stream>> OpenStream(const std::string& target = "/api/stream");

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
};

}  // namespace agentmux
