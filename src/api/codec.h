// The API's wire format (docs/api.md): JSON responses and errors (the error → HTTP status map),
// log chunks as JSON and as WebSocket text, and strict readers of request fields and query
// parameters. No Beast types. Pure functions, thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "store/store.h"

namespace agentmux {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the answer is what this returns, computed off the loop thread: the server runs it on
  // its blocking pool (CPU-heavy work such as building a transcript). It owns everything it
  // touches and never throws. Callers of Api::Handle other than the server use Finished().
  std::function<ApiResponse()> finish;
};

// `r`, or what its `finish` returns, computed here and now.
inline ApiResponse Finished(ApiResponse r) { return r.finish ? r.finish() : r; }

// The HTTP status of an error: 400 bad_request / bad_json / bad_field (malformed), 404, 409
// (illegal transition, ambiguous id, still running), 422 (well-formed but invalid), 500, 503.
int HttpStatusFor(const Error& error);
ApiResponse ErrorResponse(const Error& error);
ApiResponse JsonResponse(int status, const nlohmann::json& body);

// JSON shape of one log chunk on the wire: {seq, offset, timestamp, ts_ms, level, data (base64)}.
nlohmann::json ChunkToJson(const LogChunk& chunk);
// The WebSocket `log` message of a chunk as text: ChunkToJson's fields plus "type":"log" and
// "session_id" (DESIGN §6). Appended rather than dumped from a json tree, which would scan the
// base64 byte by byte for escapes (8 % of the loop thread under a flood).
std::string LogMessageText(const LogChunk& chunk);

// A request field of the wrong type (400 bad_field, the message names the field and the type).
struct FieldError : std::domain_error {
  using std::domain_error::domain_error;
};
// An optional field of type T (bool, int64_t, std::string, std::vector<std::string>,
// std::map<std::string, std::string>) read strictly: no conversion between JSON types (a "yes" is
// not a boolean, 1.5 is not an integer); null counts as absent. Throws FieldError.
template <typename T>
std::optional<T> Field(const nlohmann::json& body, const char* key);

using Query = std::map<std::string, std::string>;
// A query parameter as an integer (throws std::invalid_argument → 400), or nullopt when absent.
std::optional<int64_t> IntParam(const Query& q, const std::string& key);
std::optional<std::string> StrParam(const Query& q, const std::string& key);

}  // namespace agentmux
