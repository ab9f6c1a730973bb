// Orchestrations: creation, subtasks, status and synthesis (orchestration.h).
#include "workflow/orchestration.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <filesystem>

#include "base/clock.h"
#include "specs/specs.h"
#include "workflow/answers.h"
#include "workflow/checkpoints.h"
#include "workflow/workspace.h"

namespace agentmux {
namespace asio = boost::asio;
using nlohmann::json;

bool IsOrchestration(const SessionRecord& s) {
  return s.kind == SessionKind::kPlan && s.state.is_object() && s.state.contains("orchestration");
}

int64_t VersionOf(const SessionRecord& s) {
  const json& o = s.state["orchestration"];
  return o.is_object() && o.contains("version") && o["version"].is_number_integer() ? o["version"].get<int64_t>() : 0;
}

namespace {

std::string Title(const std::string& prompt) {
  std::string t = prompt.substr(0, prompt.find('\n'));
  if (t.size() > 60) t = t.substr(0, 57) + "...";
  return t;
}

Error Ended(const SessionRecord& s) {
  return Error::Conflict("orchestration_ended", "orchestration " + ShortId(s.id) + " is " +
                                                    std::string(ToString(s.status)) +
                                                    "; start another with orchestrator_initialize_session");
}

}  // namespace


Orchestrations::Orchestrations(asio::io_context& io, SessionManager& manager, Checkpoints* checkpoints)
    : io_(io), manager_(manager), checkpoints_(checkpoints) {
  watch_ = manager_.Watch(this);
}

Orchestrations::~Orchestrations() { *alive_ = false; }

Result<SessionRecord> Orchestrations::Get(const std::string& id_or_prefix) {
  auto s = manager_.Get(id_or_prefix);
  if (!s.ok()) return s.error();
  if (!IsOrchestration(*s))
    return Error::InvalidArgument("not_an_orchestration",
                                  "session " + ShortId(s->id) + " (" + s->name +
                                      ") is not an orchestration; use the session_id orchestrator_initialize_session "
                                      "returned, or agentmux_view for any session");
  return s;
}

Result<SessionRecord> Orchestrations::Open(const std::string& id) {
  auto s = Get(id);
  if (!s.ok()) return s;
  if (IsTerminal(s->status)) return Ended(*s);
  return s;
}

Result<SessionRecord> Orchestrations::Initialize(const InitRequest& request) {
  if (request.working_directory.empty() && !request.session_id)
    return Error::InvalidArgument("bad_argument", "working_directory is required: the project to orchestrate");
  std::optional<WorkspaceInfo> ws;
  if (!request.working_directory.empty()) {
    auto detected = DetectWorkspace(request.working_directory);
    if (!detected.ok()) return detected.error();
    ws = std::move(*detected);
  }
  if (request.session_id) {
    auto s = Get(*request.session_id);
    if (!s.ok()) return s;
    if (ws && ws->root != s->project_path)
      return Error::InvalidArgument("wrong_project", "orchestration " + ShortId(s->id) + " belongs to " +
                                                         s->project_path + ", not to " + ws->root +
                                                         "; leave out working_directory to re-bind to it, or "
                                                         "initialize a new orchestration for " + ws->root);
    return s;
  }
  std::string tool = request.tool.empty() ? "claude" : request.tool;
  if (!manager_.adapters().Find(tool)) {
    std::string names;
    for (const auto* a : manager_.adapters().All()) names += (names.empty() ? "" : ", ") + a->name();
    return Error::InvalidArgument("unknown_tool", "unknown tool '" + tool + "' (available: " + names + ")");
  }
  std::string name = request.name.empty()
                         ? "orchestrate " + std::filesystem::path(ws->root).filename().string()
                         : request.name;
  CreateRequest parent;
  parent.kind = SessionKind::kPlan;
  parent.tool = tool;
  parent.mode = SessionMode::kAutonomous;
  parent.project_path = ws->root;
  parent.context = "";
  parent.state = {{"name", name},
                  {"tasks", json::array()},
                  {"current", nullptr},
                  {"end_reason", nullptr},
                  {"orchestration",
                   {{"version", 1}, {"workspace", ToJson(*ws)}, {"created_by", request.created_by}}}};
  parent.metadata["plan_name"] = name;
  parent.metadata["orchestration"] = "1";
  auto made = manager_.Create(std::move(parent));
  if (!made.ok()) return made;
  return Start(*made);
}

Result<SessionRecord> Orchestrations::Start(const SessionRecord& orchestration) {
  SessionRecord rec = orchestration;
  rec.started_at = NowMs();
  return manager_.TransitionParent(rec, SessionAction::kStart, "started", {{"orchestration", true}});
}

Result<SessionRecord> Orchestrations::Pause(const SessionRecord& orchestration) {
  if (auto t = Transition(orchestration.status, SessionAction::kPause); !t.ok()) return t.error();
  for (const auto& child : manager_.Children(orchestration.id))
    if (child.status == SessionStatus::kRunning && manager_.IsLive(child.id)) (void)manager_.Pause(child.id);
  return manager_.TransitionParent(orchestration, SessionAction::kPause, "paused", {{"reason", "paused by request"}});
}

Result<SessionRecord> Orchestrations::Resume(const SessionRecord& orchestration) {
  if (auto t = Transition(orchestration.status, SessionAction::kResume); !t.ok()) return t.error();
  auto running = manager_.TransitionParent(orchestration, SessionAction::kResume, "resumed", json::object());
  if (!running.ok()) return running;
  for (const auto& child : manager_.Children(orchestration.id))
    if (child.status == SessionStatus::kPaused && manager_.IsLive(child.id)) (void)manager_.Resume(child.id);
  return running;
}

Result<SessionRecord> Orchestrations::Stop(const SessionRecord& orchestration, std::optional<int64_t> grace_ms) {
  if (auto t = Transition(orchestration.status, SessionAction::kStop); !t.ok()) return t.error();
  for (const auto& child : manager_.Children(orchestration.id))
    if (!IsTerminal(child.status)) (void)manager_.Stop(child.id, grace_ms);
  SessionRecord rec = orchestration;
  rec.ended_at = NowMs();
  return manager_.TransitionParent(rec, SessionAction::kStop, "cancelled", {{"reason", "stopped by request"}});
}

Result<SessionRecord> Orchestrations::Bump(const std::string& id, const std::function<void(SessionRecord&)>& mutate) {
  return manager_.Update(id, [&](SessionRecord& r) {
    mutate(r);
    r.state["orchestration"]["version"] = VersionOf(r) + 1;
  });
}

std::vector<Orchestrations::TaskView> Orchestrations::Tasks(const SessionRecord& orch) {
  std::vector<TaskView> views;
  const json& tasks = orch.state["tasks"];
  if (!tasks.is_array()) return views;
  for (size_t i = 0; i < tasks.size(); ++i) {
    TaskView v;
    v.index = i;
    v.spec = tasks[i];
    v.id = tasks[i].value("id", "t" + std::to_string(i + 1));
    views.push_back(std::move(v));
  }
  for (auto& child : manager_.Children(orch.id)) {
    if (!child.position || *child.position < 0 || static_cast<size_t>(*child.position) >= views.size()) continue;
    TaskView& v = views[static_cast<size_t>(*child.position)];
    if (MetaOr(child, "plan_role") == "verify") v.verify = child;
    else v.attempts.push_back(child);
  }
  for (auto& v : views) {
    const SessionRecord* last = v.last();
    if (v.verify && last && v.verify->created_at < last->created_at) v.verify.reset();
    if (v.spec.contains("by_caller")) {
      v.status = "completed";
      continue;
    }
    if (!last) {
      v.status = "planned";
      continue;
    }
    switch (last->status) {
      case SessionStatus::kPending: v.status = last->started_at ? "running" : "planned"; break;
      case SessionStatus::kRunning: v.status = "running"; break;
      case SessionStatus::kPaused: v.status = "paused"; break;
      case SessionStatus::kCancelled: v.status = "cancelled"; break;
      case SessionStatus::kInterrupted: v.status = "interrupted"; break;
      case SessionStatus::kFailed:
        v.status = "failed";
        v.error = last->error.value_or(last->exit_code ? "exit code " + std::to_string(*last->exit_code) : "failed");
        break;
      case SessionStatus::kCompleted:
        if (!v.spec.contains("verify") || v.spec["verify"].is_null()) {
          v.status = "completed";
        } else if (!v.verify || !IsTerminal(v.verify->status)) {
          v.status = "verifying";
        } else if (v.verify->status == SessionStatus::kCompleted) {
          v.status = "completed";
        } else {
          v.status = "failed";
          v.error = "verify `" + v.spec["verify"].get<std::string>() + "` failed (" +
                    (v.verify->exit_code ? "exit code " + std::to_string(*v.verify->exit_code)
                                         : std::string(ToString(v.verify->status))) +
                    "): " + OutputTail(manager_, *v.verify, 20);
        }
        break;
    }
  }
  return views;
}

Result<std::vector<std::string>> Orchestrations::Plan(const std::string& id, const std::vector<SubtaskSpec>& tasks,
                                                      const std::optional<std::map<std::string, std::string>>& caller_env,
                                                      std::optional<int64_t> expected_version) {
  auto orch = Open(id);
  if (!orch.ok()) return orch.error();
  if (expected_version && *expected_version != VersionOf(*orch))
    return Error::Conflict("version_conflict", "orchestration " + ShortId(orch->id) + " is at version " +
                                                   std::to_string(VersionOf(*orch)) + ", not " +
                                                   std::to_string(*expected_version) +
                                                   "; call orchestrator_get_status and plan again");
  if (tasks.empty()) return Error::InvalidArgument("bad_task", "tasks is empty: give at least one {prompt}");
  size_t base = orch->state["tasks"].size();
  std::vector<std::string> created, ids;
  json added = json::array();
  auto undo = [&] {
    for (auto it = created.rbegin(); it != created.rend(); ++it) (void)manager_.Delete(*it);
  };
  for (size_t i = 0; i < tasks.size(); ++i) {
    const SubtaskSpec& t = tasks[i];
    std::string where = "tasks[" + std::to_string(i) + "]: ";
    if (t.prompt.find_first_not_of(" \t\r\n") == std::string::npos) {
      undo();
      return Error::InvalidArgument("bad_task", where + "prompt is empty: say what the agent should do");
    }
    if (t.worktree && checkpoints_)
      if (auto st = checkpoints_->CheckWorktreeRequest(orch->project_path); !st.ok()) {
        undo();
        return Error{st.error().kind, st.error().code, where + st.error().message};
      }
    auto specs = ResolveSpecs(orch->project_path, t.specs);
    if (!specs.ok()) {
      undo();
      return Error{specs.error().kind, specs.error().code, where + specs.error().message};
    }
    std::string task_id = "t" + std::to_string(base + i + 1);
    CreateRequest child;
    child.tool = t.tool.empty() ? orch->tool : t.tool;
    if (child.tool == "shell") child.command = {"sh", "-c", t.prompt};
    else child.mode = SessionMode::kAutonomous;
    child.project_path = orch->project_path;
    for (const auto& s : *specs) child.spec_ids.push_back(s.id);
    child.prompt = t.prompt;
    child.context = child.tool == "shell" ? std::string() : ComposeContext(*specs, t.prompt);
    child.caller_env = caller_env;
    child.timeout_ms = t.timeout_ms;
    child.parent_id = orch->id;
    child.position = static_cast<int64_t>(base + i);
    child.metadata = {{"plan_role", "task"}, {"attempt", "1"}, {"orchestration_task", task_id}};
    child.worktree = t.worktree;
    auto made = manager_.Create(std::move(child));
    if (!made.ok()) {
      undo();
      return Error{made.error().kind, made.error().code, where + made.error().message};
    }
    created.push_back(made->id);
    ids.push_back(task_id);
    json spec = {{"id", task_id},
                 {"title", t.title.empty() ? Title(t.prompt) : t.title},
                 {"prompt", t.prompt},
                 {"tool", made->tool},
                 {"specs", made->spec_ids},
                 {"worktree", t.worktree},
                 {"verify", t.verify ? json(*t.verify) : json(nullptr)}};
    added.push_back(std::move(spec));
  }
  auto bumped = Bump(orch->id, [&](SessionRecord& r) {
    for (const auto& t : added) r.state["tasks"].push_back(t);
  });
  if (!bumped.ok()) {
    undo();
    return bumped.error();
  }
  (void)manager_.RecordEvent(orch->id, "orchestration",
                             {{"action", "plan"}, {"tasks", ids}, {"version", VersionOf(*bumped)}});
  return ids;
}

Result<SessionRecord> Orchestrations::Execute(const std::string& id, const std::string& task_id,
                                              const std::optional<std::map<std::string, std::string>>& caller_env) {
  auto orch = Open(id);
  if (!orch.ok()) return orch;
  auto views = Tasks(*orch);
  auto it = std::find_if(views.begin(), views.end(), [&](const TaskView& v) { return v.id == task_id; });
  if (it == views.end())
    return Error::NotFound("unknown_task", "orchestration " + ShortId(orch->id) + " has no subtask '" + task_id +
                                               "' (it has " + std::to_string(views.size()) +
                                               "; orchestrator_get_status lists them)");
  const TaskView& v = *it;
  if (v.status == "completed") return Error::Conflict("task_done", "subtask " + task_id + " is completed already");
  if (v.status == "running" || v.status == "paused" || v.status == "verifying")
    return Error::Conflict("task_running", "subtask " + task_id + " is " + v.status + " (session " +
                                               ShortId(v.last()->id) + "); agentmux_wait follows it");
  std::string child_id;
  if (v.last() && v.last()->status == SessionStatus::kPending) {
    child_id = v.last()->id;
  } else {
    const SessionRecord& prev = v.attempts.empty() ? *orch : *v.last();
    CreateRequest req = manager_.RequestLike(prev);
    req.parent_id = orch->id;
    req.position = static_cast<int64_t>(v.index);
    req.caller_env = caller_env;
    req.metadata = {{"plan_role", "task"},
                    {"attempt", std::to_string(v.attempts.size() + 1)},
                    {"orchestration_task", task_id}};
    req.worktree = v.spec.value("worktree", false);
    auto made = manager_.Create(std::move(req));
    if (!made.ok()) return made;
    child_id = made->id;
  }
  auto started = manager_.Start(child_id);
  if (!started.ok()) return started;
  auto bumped = Bump(orch->id, [](SessionRecord&) {});
  (void)manager_.RecordEvent(orch->id, "orchestration",
                             {{"action", "execute"},
                              {"task", task_id},
                              {"session_id", child_id},
                              {"version", bumped.ok() ? VersionOf(*bumped) : VersionOf(*orch)}});
  return started;
}

Result<SessionRecord> Orchestrations::CompleteByCaller(const std::string& id, const std::string& task_id,
                                                       const std::string& summary, const std::vector<std::string>& files) {
  auto orch = Open(id);
  if (!orch.ok()) return orch;
  auto views = Tasks(*orch);
  auto it = std::find_if(views.begin(), views.end(), [&](const TaskView& v) { return v.id == task_id; });
  if (it == views.end())
    return Error::NotFound("unknown_task", "orchestration " + ShortId(orch->id) + " has no subtask '" + task_id + "'");
  if (it->status == "running" || it->status == "paused" || it->status == "verifying")
    return Error::Conflict("task_running", "subtask " + task_id + " is " + it->status + " in session " +
                                               ShortId(it->last()->id) + "; stop it first (agentmux_stop)");
  if (it->last() && it->last()->status == SessionStatus::kPending) (void)manager_.Stop(it->last()->id, 0);
  size_t index = it->index;
  auto bumped = Bump(orch->id, [&](SessionRecord& r) {
    r.state["tasks"][index]["by_caller"] = {{"summary", summary}, {"files", files}, {"at", NowMs()}};
  });
  if (!bumped.ok()) return bumped;
  (void)manager_.RecordEvent(orch->id, "orchestration",
                             {{"action", "complete"}, {"task", task_id}, {"version", VersionOf(*bumped)}});
  return bumped;
}

void Orchestrations::OnStatus(const SessionRecord& s) {
  // A subtask's agent completed: its verify command (if any) runs next, in its tree.
  if (s.status != SessionStatus::kCompleted || !s.parent_id || MetaOr(s, "plan_role") != "task" ||
      MetaOr(s, "orchestration_task").empty() || verifying_.count(s.id))
    return;
  verifying_.insert(s.id);
  std::weak_ptr<bool> alive = alive_;
  asio::post(io_, [this, alive, parent = *s.parent_id, child = s.id] {
    if (!alive.lock()) return;
    StartVerify(parent, child);
    verifying_.erase(child);
  });
}

void Orchestrations::StartVerify(const std::string& orchestration_id, const std::string& child_id) {
  auto orch = Get(orchestration_id);
  auto child = manager_.Get(child_id);
  if (!orch.ok() || !child.ok() || !child->position) return;
  const json& tasks = orch->state["tasks"];
  size_t index = static_cast<size_t>(*child->position);
  if (!tasks.is_array() || index >= tasks.size() || !tasks[index].contains("verify") || tasks[index]["verify"].is_null())
    return;
  for (const auto& c : manager_.Children(orch->id))  // announced twice: verified once
    if (c.position == child->position && MetaOr(c, "plan_role") == "verify" && c.created_at >= child->created_at) return;
  CreateRequest req;
  req.tool = "shell";
  req.command = {"sh", "-c", tasks[index]["verify"].get<std::string>()};
  req.project_path = WorkingDir(*child);
  req.parent_id = orch->id;
  req.position = child->position;
  req.metadata = {{"plan_role", "verify"}, {"orchestration_task", MetaOr(*child, "orchestration_task")}};
  auto made = manager_.Create(std::move(req));
  if (made.ok()) made = manager_.Start(made->id);
  if (!made.ok())
    spdlog::warn("orchestration {}: verify of {} could not start: {}", orch->id, child_id, made.error().message);
}

}  // namespace agentmux
