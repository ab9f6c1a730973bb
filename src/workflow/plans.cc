// Plans: creation, control (start, pause, resume, stop) and recovery. The steps are plan_run.cc.
#include "workflow/plans.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <filesystem>

#include "base/clock.h"
#include "specs/specs.h"
#include "workflow/git.h"
#include "workflow/orchestration.h"
#include "workflow/plan_text.h"

namespace agentmux {
namespace asio = boost::asio;

PlanDriver::PlanDriver(asio::io_context& io, SessionManager& manager) : io_(io), manager_(manager) {
  manager_.SetParentDriver(SessionKind::kPlan, this);
  watch_ = manager_.Watch(this);
}

PlanDriver::~PlanDriver() {
  *alive_ = false;
  git_.join();
  manager_.SetParentDriver(SessionKind::kPlan, nullptr);
}

namespace {

Error At(const PlanDefinition& def, const std::string& field, const Error& e) {
  return Error{e.kind, e.code, def.Where(field) + e.message};
}

}  // namespace

Result<SessionRecord> PlanDriver::Create(const PlanDefinition& def, const std::string& cwd, bool start) {
  // Everything is checked before anything is stored.
  std::filesystem::path project = def.project.empty() ? std::filesystem::path(cwd) : std::filesystem::path(def.project);
  if (project.is_relative() && !def.file.empty() && !cwd.empty()) project = std::filesystem::path(cwd) / project;
  std::error_code ec;
  auto canonical = std::filesystem::canonical(project, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec))
    return Error::InvalidArgument("bad_project_path", def.Where("project") + "project path '" + project.string() +
                                                          "' is not an existing directory");
  const std::string root = canonical.string();
  const auto& adapters = manager_.adapters();
  std::string names;
  for (const auto* a : adapters.All()) names += (names.empty() ? "" : ", ") + a->name();
  for (size_t i = 0; i < def.tasks.size(); ++i) {
    const PlanTask& t = def.tasks[i];
    std::string where = "tasks[" + std::to_string(i) + "]";
    std::string tool = def.ToolOf(i);
    if (tool.empty() && t.command) tool = "shell";
    if (tool.empty())
      return Error::InvalidArgument("invalid_plan", def.Where(where) + "no tool: give the plan a `tool:` (" + names +
                                                        ") or this task one");
    if (!adapters.Find(tool))
      return Error::InvalidArgument("unknown_tool", def.Where(t.tool ? where + ".tool" : "tool") + "unknown tool '" +
                                                        tool + "' (available: " + names + ")");
    if (t.command && tool != "shell")
      return Error::InvalidArgument("invalid_plan", def.Where(where + ".command") + "`command:` runs with the shell "
                                                        "tool; give this task `tool: shell`, or a `prompt:` for " + tool);
    if (!t.command && tool == "shell")
      return Error::InvalidArgument("invalid_plan", def.Where(where) + "the shell tool runs commands: write `command:`");
  }
  auto plan_specs = ResolveSpecs(root, def.specs);
  if (!plan_specs.ok()) return At(def, "specs", plan_specs.error());
  std::vector<std::vector<Spec>> task_specs(def.tasks.size());
  for (size_t i = 0; i < def.tasks.size(); ++i) {
    if (!def.tasks[i].spec) continue;
    auto s = ResolveSpecs(root, {*def.tasks[i].spec});
    if (!s.ok()) return At(def, "tasks[" + std::to_string(i) + "].spec", s.error());
    task_specs[i] = std::move(*s);
  }

  if (def.worktree)
    if (auto st = RequireCommits(root); !st.ok()) return At(def, "worktree", st.error());
  std::string name = def.name.empty() ? DefaultPlanName(def) : def.name;
  CreateRequest parent;
  parent.kind = SessionKind::kPlan;
  parent.tool = def.tool.empty() ? (def.tasks[0].command ? "shell" : def.ToolOf(0)) : def.tool;
  parent.mode = def.ralph ? SessionMode::kRalph : SessionMode::kAutonomous;
  parent.project_path = root;
  parent.spec_ids = def.specs;
  parent.context = "";
  parent.start_requested = start;
  parent.caller_env = def.caller_env;
  nlohmann::json tasks = TasksJson(def);
  for (size_t i = 0; i < def.tasks.size(); ++i) {
    if (tasks[i]["tool"] == "") tasks[i]["tool"] = "shell";
    if (!task_specs[i].empty()) tasks[i]["spec"] = task_specs[i][0].id;
  }
  parent.state = {{"name", name},  {"tasks", tasks}, {"current", nullptr}, {"conversation_id", nullptr},
                  {"budget", BudgetJson(def.budget)}, {"spent", {{"tokens", 0}, {"cost_usd", 0.0}}},
                  {"end_reason", nullptr}};
  parent.metadata["plan_name"] = name;
  auto plan = manager_.Create(std::move(parent));
  if (!plan.ok()) return plan.error();

  std::vector<std::string> created;
  for (size_t i = 0; i < def.tasks.size(); ++i) {
    const PlanTask& t = def.tasks[i];
    CreateRequest child;
    child.tool = tasks[i]["tool"].get<std::string>();
    if (child.tool != "shell") child.mode = SessionMode::kAutonomous;
    child.project_path = root;
    std::vector<Spec> specs;
    if (i == 0) specs = *plan_specs;  // the plan's specs go to the first task's context
    for (const auto& s : task_specs[i]) specs.push_back(s);
    for (const auto& s : specs) child.spec_ids.push_back(s.id);
    if (t.command) child.command = {"sh", "-c", *t.command};
    child.prompt = t.prompt;
    child.context = t.command ? std::string() : ComposeContext(specs, t.prompt);
    child.env = def.env;
    child.caller_env = def.caller_env;
    child.timeout_ms = def.timeout_ms;
    child.parent_id = plan->id;
    child.position = static_cast<int64_t>(i);
    child.metadata = {{"plan_role", "task"}, {"attempt", "1"}};
    child.worktree = def.worktree;  // the first task makes the plan's worktree; the others go on in it
    child.base = def.base;
    auto made = manager_.Create(std::move(child));
    if (!made.ok()) {
      for (auto it = created.rbegin(); it != created.rend(); ++it) (void)manager_.Delete(*it);
      (void)manager_.Delete(plan->id);
      return Error{made.error().kind, made.error().code,
                   def.Where("tasks[" + std::to_string(i) + "]") + made.error().message};
    }
    created.push_back(made->id);
  }
  spdlog::info("plan {} created: {} task(s), tool {}", plan->id, def.tasks.size(), plan->tool);
  if (!start) return plan;
  return Start(*plan);
}

Result<SessionRecord> PlanDriver::Start(const SessionRecord& plan) {
  if (orchestrations_ && IsOrchestration(plan)) return orchestrations_->Start(plan);
  SessionRecord rec = plan;
  rec.started_at = NowMs();
  rec.state["current"] = 0;
  rec.metadata.erase("start_requested");
  auto started = manager_.TransitionParent(rec, SessionAction::kStart, "started",
                                           {{"tasks", rec.state["tasks"].size()}});
  if (!started.ok()) return started.error();
  runs_[started->id];
  ArmTimeBudget(*started);
  TakeStartSnapshot(*started);
  return started;
}

Result<SessionRecord> PlanDriver::Pause(const SessionRecord& plan) {
  if (orchestrations_ && IsOrchestration(plan)) return orchestrations_->Pause(plan);
  if (auto t = Transition(plan.status, SessionAction::kPause); !t.ok()) return t.error();
  for (const auto& child : manager_.Children(plan.id))
    if (child.status == SessionStatus::kRunning && manager_.IsLive(child.id)) {
      auto paused = manager_.Pause(child.id);
      if (!paused.ok()) return paused.error();
    }
  return manager_.TransitionParent(plan, SessionAction::kPause, "paused", {{"reason", "paused by request"}});
}

Result<SessionRecord> PlanDriver::Resume(const SessionRecord& plan) {
  if (orchestrations_ && IsOrchestration(plan)) return orchestrations_->Resume(plan);
  if (auto t = Transition(plan.status, SessionAction::kResume); !t.ok()) return t.error();
  auto children = manager_.Children(plan.id);
  nlohmann::json payload = nlohmann::json::object();
  if (plan.status == SessionStatus::kInterrupted) {
    // Continue where the plan stood: the interrupted try of the current task resumes its
    // conversation; one that cannot (no conversation yet) runs again as a new attempt.
    int64_t cur = plan.state.value("current", nlohmann::json(0)).is_number_integer() ? plan.state["current"].get<int64_t>() : 0;
    const SessionRecord* last = nullptr;
    for (const auto& c : children)
      if (c.position == cur) last = &c;
    if (last && last->status == SessionStatus::kInterrupted) {
      auto resumed = manager_.Resume(last->id);
      if (resumed.ok()) {
        payload["resumed_session_id"] = last->id;
      } else if (last->metadata.count("plan_role") && last->metadata.at("plan_role") == "task") {
        auto again = NewAttempt(plan, static_cast<size_t>(cur), children, std::nullopt, std::nullopt, false);
        if (!again.ok()) return again.error();
        payload["new_attempt_session_id"] = again->id;
      } else {
        // A verify run: run the check again.
        CreateRequest req = manager_.RequestLike(*last);
        req.parent_id = plan.id;
        req.position = last->position;
        req.metadata = last->metadata;
        auto again = manager_.Create(std::move(req));
        if (!again.ok()) return again.error();
        payload["new_attempt_session_id"] = again->id;
      }
    }
    SessionRecord rec = plan;
    rec.ended_at.reset();
    rec.error.reset();
    rec.state["end_reason"] = nullptr;
    auto running = manager_.TransitionParent(rec, SessionAction::kResume, "resumed", payload);
    if (!running.ok()) return running.error();
    runs_[plan.id];
    ArmTimeBudget(*running);
    Schedule(plan.id);
    return running;
  }
  auto running = manager_.TransitionParent(plan, SessionAction::kResume, "resumed", payload);
  if (!running.ok()) return running.error();
  for (const auto& child : children)
    if (child.status == SessionStatus::kPaused && manager_.IsLive(child.id)) (void)manager_.Resume(child.id);
  runs_[plan.id];
  Schedule(plan.id);
  return running;
}

Result<SessionRecord> PlanDriver::Stop(const SessionRecord& plan, std::optional<int64_t> grace_ms) {
  if (orchestrations_ && IsOrchestration(plan)) return orchestrations_->Stop(plan, grace_ms);
  if (auto t = Transition(plan.status, SessionAction::kStop); !t.ok()) return t.error();
  SessionRecord rec = plan;
  if (!UpdatePlan(rec, [](SessionRecord& r) { r.state["_stop"] = true; }))
    return Error::Unavailable("store_unavailable", "the database cannot be written now; try again");
  bool running_child = false;
  for (const auto& child : manager_.Children(plan.id)) {
    if (manager_.IsLive(child.id)) {
      running_child = true;
      (void)manager_.Stop(child.id, grace_ms);
    }
  }
  if (!running_child) {
    Reconcile(plan.id);  // nothing to wait for: cancelled now
    auto now = manager_.Get(plan.id);
    return now.ok() ? now : rec;
  }
  return rec;
}

void PlanDriver::Recover() {
  SessionFilter f;
  f.kind = "plan";
  f.limit = 10000;
  for (const auto& plan : manager_.List(f)) {
    if (IsOrchestration(plan)) continue;  // nothing to reconcile: its subtasks run on request
    if (plan.status == SessionStatus::kRunning || plan.status == SessionStatus::kPaused) {
      runs_[plan.id];
      ArmTimeBudget(plan);
      Schedule(plan.id);
    } else if (IsTerminal(plan.status) || plan.status == SessionStatus::kInterrupted) {
      // Tasks a crash left pending under an ended plan will never run.
      for (const auto& child : manager_.Children(plan.id))
        if (child.status == SessionStatus::kPending && IsTerminal(plan.status)) (void)manager_.Stop(child.id, 0);
    }
  }
}

void PlanDriver::OnStatus(const SessionRecord& session) {
  if (session.parent_id && runs_.count(*session.parent_id)) Schedule(*session.parent_id);
}

void PlanDriver::Schedule(const std::string& plan_id) {
  if (!scheduled_.insert(plan_id).second) return;
  std::weak_ptr<bool> alive = alive_;
  asio::post(io_, [this, alive, plan_id] {
    if (!alive.lock()) return;
    scheduled_.erase(plan_id);
    Reconcile(plan_id);
  });
}

bool PlanDriver::UpdatePlan(SessionRecord& plan, const std::function<void(SessionRecord&)>& mutate) {
  auto updated = manager_.Update(plan.id, mutate);
  if (!updated.ok()) {
    spdlog::error("plan {}: could not record its progress: {}", plan.id, updated.error().message);
    RetryLater(plan.id);
    return false;
  }
  plan = std::move(*updated);
  return true;
}

// The store could not write (a full disk): the plan's next step is decided again in a second, so
// it never stalls waiting for a change that was not recorded.
void PlanDriver::RetryLater(const std::string& plan_id) {
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::seconds(1));
  std::weak_ptr<bool> alive = alive_;
  timer->async_wait([this, alive, timer, plan_id](const boost::system::error_code& ec) {
    if (!ec && alive.lock()) Schedule(plan_id);
  });
}

void PlanDriver::ArmTimeBudget(const SessionRecord& plan) {
  auto budget = BudgetFromJson(plan.state.value("budget", nlohmann::json::object()));
  auto it = runs_.find(plan.id);
  if (!budget.time_ms || !plan.started_at || it == runs_.end()) return;
  int64_t left = std::max<int64_t>(0, *budget.time_ms - (NowMs() - *plan.started_at));
  it->second.time_budget = std::make_unique<asio::steady_timer>(io_, std::chrono::milliseconds(left));
  std::string id = plan.id;
  it->second.time_budget->async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) Schedule(id);  // Reconcile sees the time spent and stops the plan
  });
}

}  // namespace agentmux
