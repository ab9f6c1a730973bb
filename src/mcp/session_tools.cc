// The agentmux_* tools (tools.h): run, list, view, logs, wait, stop, continue a session, and
// describe a workspace — through the HTTP API's handlers.
#include <boost/asio/steady_timer.hpp>

#include "agents/transcript_text.h"
#include "api/api.h"
#include "mcp/tools.h"
#include "session/manager.h"
#include "workflow/answers.h"
#include "workflow/orchestration.h"
#include "workflow/plan_text.h"
#include "workflow/workspace.h"

namespace agentmux::mcp {
using nlohmann::json;

namespace {

json Obj(json props, std::vector<std::string> required = {}) { return ObjectSchema(std::move(props), std::move(required)); }
json Str(const std::string& d) { return StringSchema(d); }
json Out(std::vector<std::string> required) { return OutputSchema(std::move(required)); }
json Int(const std::string& d, int64_t min = 0) { return IntegerSchema(d, min); }
json Bool(const std::string& d) { return BooleanSchema(d); }
json StrList(const std::string& d) { return StringListSchema(d); }

const json kSessionId = Str("a session: its id, a unique prefix of either end of it, its name, or `last`");

std::string AnswerOf(ToolDeps& d, const json& session) {
  auto s = d.manager.Get(session.value("id", ""));
  return s.ok() && IsTerminal(s->status) ? FinalAnswer(d.manager, *s) : "";
}

void Run(ToolDeps d, const CallPtr& call) {
  const json& a = call->args;
  bool wait = Arg<bool>(a, "wait").value_or(false);
  auto finish = [d, call, wait](json result, const std::string& session_id) mutable {
    if (!wait) return call->Finish(std::move(result));
    WaitForSession(d, call, session_id, Arg<int64_t>(call->args, "wait_timeout_ms").value_or(600'000),
                   [d, call, result](json session, bool timed_out) mutable {
                     ToolDeps deps = d;
                     result["session"] = session;
                     result["timed_out"] = timed_out;
                     result["answer"] = timed_out ? "" : AnswerOf(deps, session);
                     call->Finish(std::move(result));
                   });
  };
  // A client working on an orchestration: the run becomes one of its subtasks.
  if (d.orchestrations && !call->client->orchestration.empty() && Arg<bool>(a, "orchestration").value_or(true) &&
      !a.contains("command")) {
    SubtaskSpec t;
    t.prompt = Arg<std::string>(a, "prompt").value_or("");
    t.tool = Arg<std::string>(a, "tool").value_or("");
    t.specs = Arg<std::vector<std::string>>(a, "specs").value_or(std::vector<std::string>{});
    t.worktree = Arg<bool>(a, "worktree").value_or(false);
    t.timeout_ms = Arg<int64_t>(a, "timeout_ms");
    const std::string& orch = call->client->orchestration;
    auto ids = d.orchestrations->Plan(orch, {t}, call->client->environment, std::nullopt);
    if (!ids.ok()) return call->Fail(ids.error());
    auto started = d.orchestrations->Execute(orch, ids->front(), call->client->environment);
    if (!started.ok()) return call->Fail(started.error());
    json session = SessionJson(*started, d.manager.adapters());
    return finish({{"session", session}, {"orchestration_id", orch}, {"task_id", ids->front()}}, started->id);
  }
  json body = {{"start", true}};
  for (const char* k : {"tool", "prompt", "mode", "name", "base"})
    if (a.contains(k)) body[k] = a[k];
  if (a.contains("specs")) body["spec_ids"] = a["specs"];
  if (a.contains("command")) body["command"] = a["command"];
  if (a.contains("worktree")) body["worktree"] = a["worktree"];
  if (a.contains("timeout_ms")) body["timeout_ms"] = a["timeout_ms"];
  std::string project = ClientPath(*call->client, Arg<std::string>(a, "project").value_or(call->client->cwd));
  if (project.empty())
    return call->Fail(Error::InvalidArgument("bad_project_path", "project is required: the directory the agent works in"));
  body["project_path"] = project;
  if (call->client->environment) body["environment"] = *call->client->environment;
  auto made = ApiJson(d.api, "POST", "/api/sessions", body);
  if (!made.ok()) return call->Fail(made.error());
  if (!call->client->caller_session.empty())
    (void)d.manager.RecordEvent((*made)["id"].get<std::string>(), "requested_by",
                                {{"session_id", call->client->caller_session}, {"via", "mcp"}});
  finish({{"session", *made}}, (*made)["id"].get<std::string>());
}

void List(ToolDeps d, const CallPtr& call) {
  const json& a = call->args;
  std::string q = "?limit=" + std::to_string(Arg<int64_t>(a, "limit").value_or(20));
  for (const char* k : {"status", "tool", "project", "parent_id", "spec"})
    if (auto v = Arg<std::string>(a, k)) q += std::string("&") + k + "=" + QueryEscape(*v);
  if (Arg<bool>(a, "attention").value_or(false)) q += "&attention=true";
  auto r = ApiJson(d.api, "GET", "/api/sessions" + q);
  if (!r.ok()) return call->Fail(r.error());
  call->Finish({{"sessions", r->value("sessions", json::array())}});
}

void View(ToolDeps d, const CallPtr& call) {
  std::string id = call->args["id"];
  auto r = ApiJson(d.api, "GET", "/api/sessions/" + QueryEscape(id));
  if (!r.ok()) return call->Fail(r.error());
  json out = {{"session", *r}};
  auto s = d.manager.Get((*r)["id"].get<std::string>());
  if (s.ok() && s->kind != SessionKind::kAgent) {
    json children = json::array();
    for (const auto& c : d.manager.Children(s->id)) children.push_back(SessionJson(c, d.manager.adapters()));
    out["children"] = children;
    if (d.orchestrations && IsOrchestration(*s)) out["orchestration"] = d.orchestrations->Status(*s, true);
  }
  if (s.ok() && IsTerminal(s->status) && s->kind == SessionKind::kAgent) out["answer"] = FinalAnswer(d.manager, *s);
  call->Finish(out);
}

void Logs(ToolDeps d, const CallPtr& call) {
  const json& a = call->args;
  auto s = d.manager.Get(a["id"].get<std::string>());
  if (!s.ok()) return call->Fail(s.error());
  std::string form = Arg<std::string>(a, "form").value_or(SessionJson(*s, d.manager.adapters()).value("transcript", false)
                                                               ? "transcript"
                                                               : "text");
  int64_t tail = Arg<int64_t>(a, "tail").value_or(100);
  if (form == "transcript") {
    auto t = ApiJson(d.api, "GET", "/api/sessions/" + s->id + "/transcript");
    if (!t.ok()) return call->Fail(t.error());
    TranscriptPrinter printer;
    std::string text;
    const json& items = (*t)["items"];
    for (size_t i = 0; i < items.size(); ++i) {
      auto p = printer.Apply(i, items[i]);
      text += p.out + p.err;
    }
    text += printer.Finish();
    return call->Finish({{"session_id", s->id}, {"status", ToString(s->status)}, {"form", form},
                         {"text", TailLines(text, static_cast<size_t>(tail), 256 * 1024)},
                         {"last_seq", t->value("log_seq", 0)}});
  }
  std::string target = "/api/sessions/" + s->id + "/logs?format=raw";
  if (auto since = Arg<int64_t>(a, "since_seq")) target += "&after_seq=" + std::to_string(*since);
  else target += "&tail=" + std::to_string(tail);
  ApiResponse r = Finished(d.api.Handle({"GET", target, ""}));
  if (r.status != 200) return call->Fail(Error::Internal("reading the log failed: " + r.body));
  int64_t last_seq = 0;
  for (const auto& [k, v] : r.headers)
    if (k == "X-Agentmux-Last-Seq") last_seq = std::atoll(v.c_str());
  call->Finish({{"session_id", s->id}, {"status", ToString(s->status)}, {"form", "text"},
                {"text", TailLines(r.body, 1'000'000, 256 * 1024)}, {"last_seq", last_seq}});
}

void Wait(ToolDeps d, const CallPtr& call) {
  auto s = d.manager.Get(call->args["id"].get<std::string>());
  if (!s.ok()) return call->Fail(s.error());
  WaitForSession(d, call, s->id, Arg<int64_t>(call->args, "timeout_ms").value_or(600'000),
                 [d, call](json session, bool timed_out) {
                   ToolDeps deps = d;
                   call->Finish({{"session", session},
                                 {"timed_out", timed_out},
                                 {"answer", timed_out ? "" : AnswerOf(deps, session)}});
                 });
}

void Stop(ToolDeps d, const CallPtr& call) {
  json body = json::object();
  if (call->args.contains("grace_ms")) body["grace_ms"] = call->args["grace_ms"];
  auto r = ApiJson(d.api, "POST", "/api/sessions/" + QueryEscape(call->args["id"].get<std::string>()) + "/stop", body);
  if (!r.ok()) return call->Fail(r.error());
  call->Finish({{"session", *r}});
}

void Continue(ToolDeps d, const CallPtr& call) {
  auto r = ApiJson(d.api, "POST", "/api/sessions/" + QueryEscape(call->args["id"].get<std::string>()) + "/continue",
                   {{"prompt", call->args["prompt"]}});
  if (!r.ok()) return call->Fail(r.error());
  if (!Arg<bool>(call->args, "wait").value_or(false)) return call->Finish({{"session", *r}});
  WaitForSession(d, call, (*r)["id"].get<std::string>(), Arg<int64_t>(call->args, "wait_timeout_ms").value_or(600'000),
                 [d, call](json session, bool timed_out) {
                   ToolDeps deps = d;
                   call->Finish({{"session", session},
                                 {"timed_out", timed_out},
                                 {"answer", timed_out ? "" : AnswerOf(deps, session)}});
                 });
}

void Workspace(const CallPtr& call) {
  std::string path = Arg<std::string>(call->args, "path").value_or(call->client->cwd);
  if (path.empty())
    return call->Fail(Error::InvalidArgument("bad_argument", "path is required (this client did not say where it runs)"));
  auto w = DetectWorkspace(ClientPath(*call->client, path));
  if (!w.ok()) return call->Fail(w.error());
  call->Finish(ToJson(*w));
}

}  // namespace

std::vector<Tool> SessionTools(ToolDeps d) {
  const json wait = Bool("wait until the session ends and return its final answer (progress notifications meanwhile)");
  const json wait_timeout = Int("with wait: give up waiting after this many ms (default 600000)", 1);
  return {
      {"agentmux_run", "Run an agent",
       "Start an agent session (Claude Code, Codex, Copilot, OpenCode, Gemini CLI, or the shell tool with `command`) "
       "on a project with a prompt and/or specs. When this client is working on an orchestration "
       "(orchestrator_initialize_session), the run becomes one of its subtasks. Returns the session; with wait, its "
       "final answer too.",
       Obj({{"tool", Str("adapter: claude, codex, copilot, opencode, gemini, shell")},
            {"prompt", Str("what the agent should do")},
            {"specs", StrList("LeanSpec spec ids of the project (e.g. \"012\") whose text goes with the prompt")},
            {"project", Str("project directory (default: where the client runs)")},
            {"worktree", Bool("run in a git worktree of its own on branch agentmux/<id>")},
            {"base", Str("with worktree: the commit to branch from (default HEAD)")},
            {"mode", {{"type", "string"}, {"enum", {"autonomous", "guided"}}, {"description", "autonomous (headless, default) or guided (a terminal)"}}},
            {"name", Str("a name for the session")},
            {"command", StrList("shell tool: the argv to run")},
            {"timeout_ms", Int("stop the session after this long", 1)},
            {"orchestration", Bool("false: a standalone session even when working on an orchestration")},
            {"wait", wait},
            {"wait_timeout_ms", wait_timeout}},
           {"tool"}),
       Out({"session"}), [d](const CallPtr& c) { Run(d, c); }},
      {"agentmux_list", "List sessions", "Sessions, newest first, with filters.",
       Obj({{"status", {{"type", "string"}, {"enum", {"pending", "running", "paused", "completed", "failed", "cancelled", "interrupted"}}}},
            {"tool", Str("adapter name")},
            {"project", Str("exact project path")},
            {"parent_id", Str("children of this plan or orchestration")},
            {"spec", Str("sessions with this spec")},
            {"attention", Bool("only sessions waiting for a person")},
            {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}}}),
       Out({"sessions"}), [d](const CallPtr& c) { List(d, c); }},
      {"agentmux_view", "View a session",
       "One session: status, tokens, cost, exit; a plan's or orchestration's children; an ended agent's final answer.",
       Obj({{"id", kSessionId}}, {"id"}), Out({"session"}), [d](const CallPtr& c) { View(d, c); }},
      {"agentmux_logs", "Read a session's output",
       "The last lines of what a session printed (tail), or what came after a sequence number (since_seq). Agents with "
       "structured output read as a transcript (form=transcript) unless form=text.",
       Obj({{"id", kSessionId},
            {"tail", Int("lines from the end (default 100)")},
            {"since_seq", Int("only chunks after this sequence number (last_seq of an earlier call)")},
            {"form", {{"type", "string"}, {"enum", {"text", "transcript"}}}}},
           {"id"}),
       Out({"session_id", "text", "last_seq"}), [d](const CallPtr& c) { Logs(d, c); }},
      {"agentmux_wait", "Wait for a session",
       "Wait until a session ends (or timeout_ms), with progress notifications each second; returns its final state "
       "and answer.",
       Obj({{"id", kSessionId}, {"timeout_ms", Int("give up after this many ms (default 600000)", 1)}}, {"id"}),
       Out({"session", "timed_out"}), [d](const CallPtr& c) { Wait(d, c); }},
      {"agentmux_stop", "Stop a session",
       "SIGTERM to the session's process group, SIGKILL after grace_ms; a plan or orchestration stops its children.",
       Obj({{"id", kSessionId}, {"grace_ms", Int("ms between SIGTERM and SIGKILL (default 10000)")}}, {"id"}),
       Out({"session"}), [d](const CallPtr& c) { Stop(d, c); }},
      {"agentmux_continue", "Continue a conversation",
       "A new session that resumes an ended agent session's conversation with a follow-up prompt.",
       Obj({{"id", kSessionId}, {"prompt", Str("the follow-up")}, {"wait", wait}, {"wait_timeout_ms", wait_timeout}},
           {"id", "prompt"}),
       Out({"session"}), [d](const CallPtr& c) { Continue(d, c); }},
      {"agentmux_workspace", "Describe a project",
       "The project around a path: VCS root, ecosystems, package manager, monorepo, nearest package, likely test "
       "command, LeanSpec specs.",
       Obj({{"path", Str("a directory or file (default: where the client runs)")}}),
       Out({"path", "root"}), [](const CallPtr& c) { Workspace(c); }},
  };
}

}  // namespace agentmux::mcp
