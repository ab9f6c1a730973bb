// The HTTP/JSON API (DESIGN §6, docs/api.md) as plain functions of a request, described once in a
// route table: method, path, the body fields it reads (with their JSON types, checked before the
// handler runs: a wrong type is 400 bad_field naming the field), the handler and a doc line. The
// table drives dispatch, GET /api/routes, and the check that docs/api.md documents exactly these
// routes (tests). No Beast types here; src/net/ carries bytes. Ids in paths accept unique prefixes.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"
#include "api/codec.h"
#include "base/base64.h"
#include "base/result.h"
#include "model/session.h"

namespace agentmux {

class SessionManager;
class PlanDriver;
class Checkpoints;

// The Session payload (docs/api.md): the record's fields plus `transcript` — true when the
// session's output has transcript items (GET /api/sessions/:id/transcript, the WebSocket
// subscribe option): an autonomous session of an agent CLI with structured output.
nlohmann::json SessionJson(const SessionRecord& s, const AdapterRegistry& adapters, bool with_context = false);

inline constexpr int kProtocolVersion = 1;
inline constexpr const char* kAgentmuxVersion = "0.1.0";

struct ApiRequest {
  std::string method;  // "GET", "POST", …
  std::string target;  // path + query, e.g. "/api/sessions?status=running"
  std::string body;
};

// JSON types a body field may be declared with.
enum class FieldType { kString, kBool, kInt, kStringList, kStringMap, kObject, kArray };

struct BodyField {
  const char* name;
  FieldType type;
};

class Api;

// One request, matched to its route: the session named by `:id` (resolved), the query, the body.
struct ApiCall {
  const ApiRequest* request = nullptr;
  SessionRecord session;  // routes with :id (a session)
  std::string param;      // routes whose :id is not a session (a checkpoint id), as given
  Query query;
  nlohmann::json body = nlohmann::json::object();
};

struct Route {
  const char* method;  // GET, POST, DELETE
  const char* path;    // "/api/sessions/:id/logs"; a WebSocket endpoint has handler == nullptr
  std::vector<BodyField> fields;  // the body fields the handler reads
  ApiResponse (Api::*handler)(const ApiCall&);
  const char* doc;  // one line: what it does
  bool id_is_session = true;  // ":id" names a session (resolved before the handler) or not (ApiCall::param)
};

// REQUIRES: called on the manager's loop thread, except GET /api/tools (only reads adapters; the
// server runs it on a worker thread because it may start `--version` probes). An answer's
// `finish` (codec.h) runs off the loop.
class Api {
 public:
  // `plans` serves POST /api/plans, `checkpoints` the checkpoint, diff and worktree routes (null:
  // 503 no_driver).
  explicit Api(SessionManager& manager, PlanDriver* plans = nullptr, Checkpoints* checkpoints = nullptr);
  ApiResponse Handle(const ApiRequest& request);
  // Every route, in docs/api.md's order.
  static const std::vector<Route>& Routes();

  // Handlers (one per route).
  ApiResponse Health(const ApiCall& c);
  ApiResponse ListRoutes(const ApiCall& c);
  ApiResponse Tools(const ApiCall& c);
  ApiResponse Specs(const ApiCall& c);
  ApiResponse ListSessions(const ApiCall& c);
  ApiResponse CreatePlan(const ApiCall& c);
  ApiResponse Diff(const ApiCall& c);
  ApiResponse ListCheckpoints(const ApiCall& c);
  ApiResponse CreateCheckpoint(const ApiCall& c);
  ApiResponse RestoreCheckpoint(const ApiCall& c);
  ApiResponse Merge(const ApiCall& c);
  ApiResponse Discard(const ApiCall& c);
  ApiResponse CreateSession(const ApiCall& c);
  ApiResponse GetSession(const ApiCall& c);
  ApiResponse DeleteSession(const ApiCall& c);
  ApiResponse Start(const ApiCall& c);
  ApiResponse Acknowledge(const ApiCall& c);
  ApiResponse Pause(const ApiCall& c);
  ApiResponse Resume(const ApiCall& c);
  ApiResponse Stop(const ApiCall& c);
  ApiResponse Continue(const ApiCall& c);
  ApiResponse Retry(const ApiCall& c);
  ApiResponse Logs(const ApiCall& c);
  ApiResponse Events(const ApiCall& c);
  ApiResponse Transcript(const ApiCall& c);  // transcript_stream.cc

 private:
  ApiResponse SessionResponse(int status, const Result<SessionRecord>& r) const;

  SessionManager& manager_;
  PlanDriver* plans_ = nullptr;
  Checkpoints* checkpoints_ = nullptr;
  int64_t started_ms_;
};

}  // namespace agentmux
