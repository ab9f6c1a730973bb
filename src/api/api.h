// The HTTP/JSON API (DESIGN §6) as plain functions of a request: routing, validation, the JSON
// shapes and the error → HTTP status mapping. No Beast types here; src/net/ carries bytes.
//
// Routes (all under /api; ids accept unique prefixes):
//   GET    /api/health
//   GET    /api/tools
//   GET    /api/specs?project=PATH
//   GET    /api/sessions?status=&tool=&spec=&project=&limit=&cursor=
//   POST   /api/sessions                      {tool, mode, project_path, spec_ids | spec_id, prompt,
//                                              command, env, start, cols, rows, timeout}
//   GET    /api/sessions/:id
//   POST   /api/sessions/:id/{start,pause,resume,stop}   (stop: {"grace_ms": N})
//   POST   /api/sessions/:id/continue {prompt, fallback: "fresh"|"none"}   → 201 new session
//   POST   /api/sessions/:id/retry                        → 201 new session
//   DELETE /api/sessions/:id
//   GET    /api/sessions/:id/logs?after_seq=&tail=&limit=&format=json|raw
//   GET    /api/sessions/:id/events?after_id=&limit=
// Errors: {"error": {"code", "message"}} with 400 (malformed), 404, 409 (illegal transition,
// ambiguous id, still running), 413, 422 (well-formed but invalid), 500, 503.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/base64.h"
#include "base/result.h"

namespace agentmux {

class SessionManager;

inline constexpr int kProtocolVersion = 1;
inline constexpr const char* kAgentmuxVersion = "0.1.0";

struct ApiRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path + query, e.g. "/api/sessions?status=running"
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The HTTP status for an error (see the table above).
int HttpStatusFor(const Error& error);
ApiResponse ErrorResponse(const Error& error);
ApiResponse JsonResponse(int status, const nlohmann::json& body);


// JSON shape of one log chunk on the wire: {seq, offset, timestamp, level, data (base64)}.
struct LogChunk;
nlohmann::json ChunkToJson(const LogChunk& chunk);
// The WebSocket `log` message of a chunk as text: ChunkToJson's fields plus "type":"log" and
// "session_id" (DESIGN §6). Appended rather than dumped from a json tree, which would scan the
// base64 byte by byte for escapes (8 % of the loop thread under a flood).
std::string LogMessageText(const LogChunk& chunk);

// REQUIRES: called on the manager's loop thread.
class Api {
 public:
  explicit Api(SessionManager& manager);
  ApiResponse Handle(const ApiRequest& request);

 private:
  SessionManager& manager_;
  int64_t started_ms_;
};

}  // namespace agentmux
