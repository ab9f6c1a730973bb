// The orchestrator_* tools (tools.h; seed 003's names) over workflow/orchestration.h.
#include "api/api.h"
#include "mcp/tools.h"
#include "session/manager.h"
#include "workflow/orchestration.h"
#include "workflow/workspace.h"

namespace agentmux::mcp {
using nlohmann::json;

namespace {

json Obj(json props, std::vector<std::string> required = {}) { return ObjectSchema(std::move(props), std::move(required)); }
json Str(const std::string& d) { return StringSchema(d); }
json Out(std::vector<std::string> required) { return OutputSchema(std::move(required)); }

const json kOrchestrationId =
    Str("the orchestration (orchestrator_initialize_session's session_id, a prefix or its name); default: the one "
        "this client initialized");

const char* kGuidance =
    "You are orchestrating agentmux subtasks. Plan them with orchestrator_plan_task (each: prompt, optional tool — "
    "claude, codex, copilot, opencode, gemini —, specs, worktree for isolation, verify command), start each with "
    "orchestrator_execute_subtask (or agentmux_run, which plans and starts one), follow them with "
    "orchestrator_get_status or agentmux_wait, record work you did yourself with orchestrator_complete_subtask, and "
    "finish with orchestrator_synthesize_results. State is stored: after a restart, pass this session_id again.";

// The orchestration a call names (session_id) or the client's; checks it belongs to the client's
// project when the client has one.
Result<SessionRecord> Target(ToolDeps& d, const CallPtr& call) {
  if (!d.orchestrations)
    return Error::Unavailable("orchestration_unavailable", "this daemon runs no orchestration driver");
  auto named = Arg<std::string>(call->args, "session_id");
  std::string id = named.value_or(call->client->orchestration);
  if (id.empty())
    return Error::InvalidArgument("no_orchestration",
                                  "no orchestration yet: call orchestrator_initialize_session first, or pass session_id");
  auto orch = d.orchestrations->Get(id);
  if (!orch.ok()) return orch;
  if (call->client->project.empty() && !call->client->cwd.empty())  // the project the client runs in
    if (auto w = DetectWorkspace(call->client->cwd); w.ok()) call->client->project = w->root;
  if (named && !call->client->project.empty() && orch->project_path != call->client->project)
    return Error::InvalidArgument("wrong_project", "orchestration " + ShortId(orch->id) + " belongs to " +
                                                       orch->project_path + ", and this client works on " +
                                                       call->client->project +
                                                       "; initialize one here, or call orchestrator_initialize_session "
                                                       "with that session_id and working_directory " + orch->project_path);
  return orch;
}

void Initialize(ToolDeps d, const CallPtr& call) {
  if (!d.orchestrations)
    return call->Fail(Error::Unavailable("orchestration_unavailable", "this daemon runs no orchestration driver"));
  Orchestrations::InitRequest req;
  req.working_directory =
      ClientPath(*call->client, Arg<std::string>(call->args, "working_directory").value_or(call->client->cwd));
  req.session_id = Arg<std::string>(call->args, "session_id");
  req.name = Arg<std::string>(call->args, "name").value_or("");
  req.tool = Arg<std::string>(call->args, "tool").value_or("");
  req.created_by = call->client->client_info.value("name", "");
  if (req.working_directory.empty() && !req.session_id)
    return call->Fail(Error::InvalidArgument(
        "bad_argument", "working_directory is required: this client did not say where it runs (the project to orchestrate)"));
  auto orch = d.orchestrations->Initialize(req);
  if (!orch.ok()) return call->Fail(orch.error());
  call->client->orchestration = orch->id;
  call->client->project = orch->project_path;
  json status = d.orchestrations->Status(*orch, true);
  status["guidance"] = kGuidance;
  status["rebound"] = req.session_id.has_value();
  call->Finish(status);
}

void PlanTask(ToolDeps d, const CallPtr& call) {
  auto orch = Target(d, call);
  if (!orch.ok()) return call->Fail(orch.error());
  std::vector<SubtaskSpec> tasks;
  for (const auto& t : call->args["tasks"]) {
    SubtaskSpec s;
    s.prompt = t["prompt"].get<std::string>();
    s.title = Arg<std::string>(t, "title").value_or("");
    s.tool = Arg<std::string>(t, "tool").value_or("");
    s.specs = Arg<std::vector<std::string>>(t, "specs").value_or(std::vector<std::string>{});
    s.worktree = Arg<bool>(t, "worktree").value_or(false);
    s.verify = Arg<std::string>(t, "verify");
    s.timeout_ms = Arg<int64_t>(t, "timeout_ms");
    tasks.push_back(std::move(s));
  }
  auto ids = d.orchestrations->Plan(orch->id, tasks, call->client->environment,
                                    Arg<int64_t>(call->args, "expected_version"));
  if (!ids.ok()) return call->Fail(ids.error());
  auto now = d.orchestrations->Get(orch->id);
  json status = now.ok() ? d.orchestrations->Status(*now, true) : json::object();
  call->Finish({{"session_id", orch->id}, {"task_ids", *ids}, {"version", status.value("version", 0)},
                {"counts", status.value("counts", json::object())}});
}

void Execute(ToolDeps d, const CallPtr& call) {
  auto orch = Target(d, call);
  if (!orch.ok()) return call->Fail(orch.error());
  std::string task = call->args["task_id"];
  auto started = d.orchestrations->Execute(orch->id, task, call->client->environment);
  if (!started.ok()) return call->Fail(started.error());
  json out = {{"session_id", orch->id}, {"task_id", task}, {"session", SessionJson(*started, d.manager.adapters())}};
  if (!Arg<bool>(call->args, "wait").value_or(false)) return call->Finish(out);
  std::string orch_id = orch->id;
  WaitForSession(d, call, started->id, Arg<int64_t>(call->args, "wait_timeout_ms").value_or(600'000),
                 [d, call, out, orch_id, task](json session, bool timed_out) mutable {
                   out["session"] = session;
                   out["timed_out"] = timed_out;
                   if (auto o = d.orchestrations->Get(orch_id); o.ok()) {
                     json status = d.orchestrations->Status(*o, true);
                     for (const auto& t : status["subtasks"])
                       if (t["task_id"] == task) out["subtask"] = t;
                   }
                   call->Finish(out);
                 });
}

void Complete(ToolDeps d, const CallPtr& call) {
  auto orch = Target(d, call);
  if (!orch.ok()) return call->Fail(orch.error());
  std::string task = call->args["task_id"];
  auto files = Arg<std::vector<std::string>>(call->args, "files").value_or(std::vector<std::string>{});
  auto done = d.orchestrations->CompleteByCaller(orch->id, task, call->args["summary"].get<std::string>(), files);
  if (!done.ok()) return call->Fail(done.error());
  json status = d.orchestrations->Status(*done, true);
  call->Finish({{"session_id", orch->id}, {"task_id", task}, {"status", "completed"}, {"version", status["version"]},
                {"counts", status["counts"]}});
}

void GetStatus(ToolDeps d, const CallPtr& call) {
  if (d.orchestrations && !call->args.contains("session_id") && call->client->orchestration.empty()) {
    // Not bound: the open orchestrations (of this client's project, if it has one).
    SessionFilter f;
    f.kind = "plan";
    f.live = true;
    f.limit = 100;
    if (!call->client->project.empty()) f.project = call->client->project;
    json list = json::array();
    for (const auto& s : d.manager.List(f))
      if (IsOrchestration(s))
        list.push_back({{"session_id", s.id}, {"name", s.state.value("name", s.name)}, {"project", s.project_path},
                        {"status", ToString(s.status)}});
    return call->Finish({{"orchestrations", list},
                         {"hint", "pass one's session_id, or orchestrator_initialize_session to start one"}});
  }
  auto orch = Target(d, call);
  if (!orch.ok()) return call->Fail(orch.error());
  call->Finish(d.orchestrations->Status(*orch, Arg<bool>(call->args, "include_completed").value_or(true)));
}

void Synthesize(ToolDeps d, const CallPtr& call) {
  auto orch = Target(d, call);
  if (!orch.ok()) return call->Fail(orch.error());
  auto r = d.orchestrations->Synthesize(orch->id, Arg<bool>(call->args, "complete").value_or(true));
  if (!r.ok()) return call->Fail(r.error());
  call->Finish(*r);
}

}  // namespace

std::vector<Tool> OrchestratorTools(ToolDeps d) {
  json task = Obj({{"prompt", Str("what the agent should do")},
                   {"title", Str("a short name for people")},
                   {"tool", Str("adapter (default: the orchestration's): claude, codex, copilot, opencode, gemini, shell")},
                   {"specs", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "spec ids"}}},
                   {"worktree", {{"type", "boolean"}, {"description", "run in a git worktree of its own"}}},
                   {"verify", Str("shell command run in the subtask's tree after the agent; non-zero fails it")},
                   {"timeout_ms", {{"type", "integer"}, {"minimum", 1}}}},
                  {"prompt"});
  return {
      {"orchestrator_initialize_session", "Start orchestrating",
       "Create an orchestration session for the project around working_directory (workspace detected from .git, "
       "package.json, pyproject.toml, Cargo.toml, go.mod and other markers), or re-bind to one by session_id. "
       "Returns its id, the workspace and guidance.",
       Obj({{"working_directory", Str("a path inside the project (default: where the client runs)")},
            {"session_id", Str("re-bind to this orchestration (after a restart, from another client)")},
            {"name", Str("a name for people")},
            {"tool", Str("default tool of its subtasks (default claude)")}}),
       Out({"session_id", "status", "version", "workspace", "subtasks", "guidance"}),
       [d](const CallPtr& c) { Initialize(d, c); }},
      {"orchestrator_plan_task", "Plan subtasks",
       "Add subtasks to an orchestration (all or none). Each becomes a pending agent session; start it with "
       "orchestrator_execute_subtask.",
       Obj({{"session_id", kOrchestrationId},
            {"tasks", {{"type", "array"}, {"minItems", 1}, {"maxItems", 1000}, {"items", task}}},
            {"expected_version", {{"type", "integer"}, {"description", "fail with version_conflict if another client changed it since"}}}},
           {"tasks"}),
       Out({"session_id", "task_ids", "version"}), [d](const CallPtr& c) { PlanTask(d, c); }},
      {"orchestrator_execute_subtask", "Run a subtask",
       "Start a planned subtask's agent session (or a new attempt after a failure).",
       Obj({{"session_id", kOrchestrationId},
            {"task_id", Str("t1, t2, … (orchestrator_plan_task's task_ids)")},
            {"wait", {{"type", "boolean"}, {"description", "wait until it ends (progress notifications meanwhile)"}}},
            {"wait_timeout_ms", {{"type", "integer"}, {"minimum", 1}}}},
           {"task_id"}),
       Out({"session_id", "task_id", "session"}), [d](const CallPtr& c) { Execute(d, c); }},
      {"orchestrator_complete_subtask", "Record a subtask you did",
       "Mark a subtask completed by the calling agent itself, with a summary and the files it changed.",
       Obj({{"session_id", kOrchestrationId},
            {"task_id", Str("the subtask")},
            {"summary", Str("what was done")},
            {"files", {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "paths changed"}}}},
           {"task_id", "summary"}),
       Out({"session_id", "task_id", "status", "version"}), [d](const CallPtr& c) { Complete(d, c); }},
      {"orchestrator_get_status", "Orchestration status",
       "Subtasks with status, progress, tokens and cost. Without session_id and before initialize: the open "
       "orchestrations.",
       Obj({{"session_id", kOrchestrationId},
            {"include_completed", {{"type", "boolean"}, {"description", "list completed subtasks too (default true)"}}}}),
       {{"type", "object"}}, [d](const CallPtr& c) { GetStatus(d, c); }},
      {"orchestrator_synthesize_results", "Synthesize results",
       "Every subtask's final answer, files changed (diff stat), failures and totals in one result. With complete "
       "(default true) and nothing left running or planned, the orchestration ends.",
       Obj({{"session_id", kOrchestrationId},
            {"complete", {{"type", "boolean"}, {"description", "end the orchestration when nothing is left (default true)"}}}}),
       Out({"session_id", "status", "subtasks", "failures", "totals"}), [d](const CallPtr& c) { Synthesize(d, c); }},
  };
}

}  // namespace agentmux::mcp
