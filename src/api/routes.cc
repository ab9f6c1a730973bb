#include "api/api.h"

namespace agentmux {

namespace {
using F = FieldType;
}  // namespace

const std::vector<Route>& Api::Routes() {
  static const std::vector<Route> routes = {
      {"GET", "/api/health", {}, &Api::Health, "daemon version, uptime, live sessions, store health"},
      {"GET", "/api/routes", {}, &Api::ListRoutes, "this table: method, path, body fields, doc"},
      {"GET", "/api/tools", {}, &Api::Tools, "agent adapters: binary, version, what is missing"},
      {"GET", "/api/specs", {}, &Api::Specs, "the specs of ?project=PATH"},
      {"GET", "/api/sessions", {}, &Api::ListSessions, "sessions, newest first (filters, cursor)"},
      {"POST", "/api/sessions",
       {{"tool", F::kString}, {"mode", F::kString}, {"project_path", F::kString}, {"spec_ids", F::kStringList},
        {"spec_id", F::kString}, {"prompt", F::kString}, {"command", F::kStringList}, {"env", F::kStringMap},
        {"parent_id", F::kString}, {"timeout_ms", F::kInt}, {"timeout", F::kString}, {"cols", F::kInt},
        {"rows", F::kInt}, {"worktree", F::kBool}, {"base", F::kString}, {"start", F::kBool}, {"name", F::kString},
        {"environment", F::kStringMap}},
       &Api::CreateSession, "create a session (start: true to start it too)"},
      {"POST", "/api/plans",
       {{"name", F::kString}, {"tool", F::kString}, {"project", F::kString}, {"project_path", F::kString},
        {"specs", F::kStringList}, {"spec_ids", F::kStringList}, {"budget", F::kObject}, {"env", F::kStringMap},
        {"timeout", F::kString}, {"timeout_ms", F::kInt}, {"tasks", F::kArray}, {"mode", F::kString},
        {"source", F::kString}, {"file", F::kString}, {"start", F::kBool}, {"environment", F::kStringMap}},
       &Api::CreatePlan, "create a plan of tasks in one conversation (started unless start: false)"},
      {"GET", "/api/sessions/:id", {}, &Api::GetSession, "one session"},
      {"POST", "/api/sessions/:id/start", {}, &Api::Start, "pending → running"},
      {"POST", "/api/sessions/:id/pause", {}, &Api::Pause, "SIGSTOP to the process group"},
      {"POST", "/api/sessions/:id/resume", {}, &Api::Resume, "SIGCONT; or resume an interrupted conversation"},
      {"POST", "/api/sessions/:id/stop", {{"grace_ms", F::kInt}}, &Api::Stop, "SIGTERM, SIGKILL after the grace"},
      {"POST", "/api/sessions/:id/ack", {}, &Api::Acknowledge, "clear the session's attention (someone looked)"},
      {"POST", "/api/sessions/:id/continue", {{"prompt", F::kString}, {"fallback", F::kString}}, &Api::Continue,
       "a new session resuming the agent's conversation"},
      {"POST", "/api/sessions/:id/retry", {}, &Api::Retry, "a new session with the same fields"},
      {"DELETE", "/api/sessions/:id", {}, &Api::DeleteSession, "delete an ended session"},
      {"GET", "/api/sessions/:id/logs", {}, &Api::Logs, "output chunks (after_seq, tail, limit, format)"},
      {"GET", "/api/sessions/:id/events", {}, &Api::Events, "lifecycle and agent events"},
      {"GET", "/api/sessions/:id/transcript", {}, &Api::Transcript, "the agent's conversation as transcript items"},
      {"GET", "/api/sessions/:id/diff", {}, &Api::Diff, "what the session changed (stat, format=patch)"},
      {"GET", "/api/sessions/:id/checkpoints", {}, &Api::ListCheckpoints, "the session's checkpoints"},
      {"POST", "/api/sessions/:id/checkpoints", {{"message", F::kString}}, &Api::CreateCheckpoint,
       "a checkpoint of the session's tree now"},
      {"POST", "/api/checkpoints/:id/restore", {{"continue", F::kBool}, {"prompt", F::kString}},
       &Api::RestoreCheckpoint, "put a checkpoint's tree back (after checkpointing the present)", false},
      {"POST", "/api/sessions/:id/merge", {}, &Api::Merge, "merge a worktree session's branch"},
      {"POST", "/api/sessions/:id/discard", {}, &Api::Discard, "remove a worktree session's worktree and branch"},
      {"GET", "/api/stream", {}, nullptr, "WebSocket: subscribe (logs, transcript), watch, input, resize"},
      {"GET", "/api/sessions/:id/stream", {}, nullptr, "WebSocket subscribed to one session"},
  };
  return routes;
}

}  // namespace agentmux
