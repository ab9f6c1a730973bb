// Plans: the reconcile loop (plans.h) — from the stored children and the plan's state, the next
// step: begin a task, run its verify command, try again, fall back to a fresh conversation, end.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "base/clock.h"
#include "specs/specs.h"
#include "workflow/answers.h"
#include "workflow/git.h"
#include "workflow/plan_text.h"
#include "workflow/plans.h"


namespace agentmux {
namespace asio = boost::asio;
namespace {

std::string Role(const SessionRecord& s) {
  auto it = s.metadata.find("plan_role");
  return it == s.metadata.end() ? "task" : it->second;
}
bool IsTask(const SessionRecord& s) { return Role(s) == "task"; }
int Attempt(const SessionRecord& s) {
  auto it = s.metadata.find("attempt");
  return it == s.metadata.end() ? 1 : std::max(1, std::atoi(it->second.c_str()));
}
std::optional<size_t> Current(const SessionRecord& plan) {
  const auto& c = plan.state.contains("current") ? plan.state["current"] : nlohmann::json();
  if (!c.is_number_integer() || c.get<int64_t>() < 0) return std::nullopt;
  return static_cast<size_t>(c.get<int64_t>());
}
const SessionRecord* NewestAt(const std::vector<SessionRecord>& children, size_t task, bool tasks_only = false) {
  const SessionRecord* last = nullptr;
  for (const auto& c : children)
    if (c.position && *c.position == static_cast<int64_t>(task) && (!tasks_only || IsTask(c))) last = &c;
  return last;
}
int AttemptsAt(const std::vector<SessionRecord>& children, size_t task) {
  int n = 0;
  for (const auto& c : children)
    if (c.position && *c.position == static_cast<int64_t>(task) && IsTask(c)) ++n;
  return n;
}
std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

void PlanDriver::Reconcile(const std::string& plan_id) {
  auto plan = manager_.Get(plan_id);
  if (!plan.ok() || plan->kind != SessionKind::kPlan) {
    runs_.erase(plan_id);
    return;
  }
  if (auto run = runs_.find(plan_id); run != runs_.end() && run->second.busy) return;
  Step(std::move(*plan), manager_.Children(plan_id));
}

void PlanDriver::Step(SessionRecord plan, const std::vector<SessionRecord>& children) {
  // The plan's figures follow its children: the sum of their own usage and cost, the shared
  // conversation's running total and id from the newest task that reported them.
  Usage used;
  double cost = 0;
  bool any_usage = false, any_cost = false;
  std::optional<Usage> conversation;
  std::optional<double> conversation_cost;
  std::optional<std::string> conversation_id;
  for (const auto& c : children) {
    if (c.usage) used = used + *c.usage, any_usage = true;
    if (c.cost_usd) cost += *c.cost_usd, any_cost = true;
    if (!IsTask(c)) continue;
    if (c.conversation_usage) conversation = c.conversation_usage;
    if (c.conversation_cost_usd) conversation_cost = c.conversation_cost_usd;
    if (c.agent_session_id) conversation_id = c.agent_session_id;
  }
  nlohmann::json spent = {{"tokens", used.total()}, {"cost_usd", cost}};
  if (plan.state["spent"] != spent || (conversation_id && plan.agent_session_id != conversation_id) ||
      (any_usage && plan.usage != std::optional<Usage>(used))) {
    UpdatePlan(plan, [&](SessionRecord& r) {
      r.state["spent"] = spent;
      if (any_usage) r.usage = used;
      if (any_cost) r.cost_usd = cost;
      if (conversation) r.conversation_usage = conversation;
      if (conversation_cost) r.conversation_cost_usd = conversation_cost;
      if (conversation_id) {
        r.agent_session_id = conversation_id;
        r.state["conversation_id"] = *conversation_id;
      }
    });
  }

  if (IsTerminal(plan.status)) {
    for (const auto& c : children)
      if (c.status == SessionStatus::kPending) (void)manager_.Stop(c.id, 0);
    runs_.erase(plan.id);
    return;
  }
  if (plan.status != SessionStatus::kRunning && plan.status != SessionStatus::kPaused) return;
  for (const auto& c : children) {
    if (!manager_.IsLive(c.id)) continue;
    CheckBudget(plan, children);  // a task passing the budget is stopped; the plan ends after it
    return;
  }
  if (plan.state.value("_stop", false)) return Finish(plan, SessionAction::kStop, "stopped", "stopped by request", {});
  if (plan.state.contains("_budget")) {
    const auto& over = plan.state["_budget"];
    std::string what = over.value("what", "budget");
    std::string msg = what == "time"      ? "budget: the plan ran for " + FormatDuration(over.value("spent", int64_t{0})) +
                                                 " of " + FormatDuration(over.value("limit", int64_t{0})) + " allowed"
                      : what == "tokens" ? "budget: " + std::to_string(over.value("spent", int64_t{0})) +
                                                 " tokens spent of " + std::to_string(over.value("limit", int64_t{0})) + " allowed"
                                          : "budget: $" + Num(over.value("spent", 0.0)) + " spent of $" +
                                                 Num(over.value("limit", 0.0)) + " allowed";
    return Finish(plan, SessionAction::kFail, "budget", msg, over);
  }
  if (plan.status == SessionStatus::kPaused) return;  // scheduling held until resume
  if (!plan.state.value("_ready", false)) return TakeStartSnapshot(plan);
  if (CheckBudget(plan, children)) return;
  auto cur = Current(plan);
  if (!cur) return;
  const SessionRecord* last = NewestAt(children, *cur);
  if (!last) {
    auto again = NewAttempt(plan, *cur, children, std::nullopt, std::nullopt, false);
    if (!again.ok()) return Finish(plan, SessionAction::kFail, "task_failed", again.error().message, {});
    return Schedule(plan.id);
  }
  if (last->status == SessionStatus::kPending) {
    Begin(plan, *last, children);
    return;
  }
  if (!IsTerminal(last->status)) return;  // marked running by an earlier daemon: recovery settles it
  if (IsTask(*last)) TaskEnded(plan, *last, children);
  else VerifyEnded(plan, *last, children);
}

bool PlanDriver::Begin(SessionRecord& plan, const SessionRecord& child, const std::vector<SessionRecord>& children) {
  size_t task = static_cast<size_t>(child.position.value_or(0));
  const Adapter* adapter = manager_.adapters().Find(child.tool);
  const auto& conversation = plan.state.value("conversation_id", nlohmann::json());
  if (IsTask(child) && adapter && adapter->SupportsResume() && conversation.is_string() &&
      !child.metadata.count("plan_fallback") && !child.metadata.count("resume_conversation")) {
    // Every task after the first resumes the plan's conversation; its usage so far is the base
    // of this run's (accounting.h), so nothing is counted twice.
    std::optional<Usage> base;
    std::optional<double> base_cost;
    for (const auto& c : children)
      if (c.id != child.id && IsTask(c) && c.agent_session_id == conversation.get<std::string>()) {
        if (c.conversation_usage) base = c.conversation_usage;
        if (c.conversation_cost_usd) base_cost = c.conversation_cost_usd;
      }
    auto updated = manager_.Update(child.id, [&](SessionRecord& r) {
      r.metadata["resume_conversation"] = conversation.get<std::string>();
      r.conversation_usage = base.value_or(Usage{});
      r.conversation_cost_usd = base_cost.value_or(0.0);
    });
    if (!updated.ok()) {
      RetryLater(plan.id);
      return false;
    }
  }
  auto started = manager_.Start(child.id);
  if (!started.ok() && started.error().code == "store_unavailable") {
    RetryLater(plan.id);
    return false;
  }
  if (!started.ok()) {
    (void)manager_.Stop(child.id, 0);
    Finish(plan, SessionAction::kFail, "task_failed",
           "task " + std::to_string(task + 1) + " could not start: " + started.error().message,
           {{"task", task + 1}, {"session_id", child.id}});
    return false;
  }
  (void)manager_.RecordEvent(plan.id, "task_started", {{"task", task + 1}, {"attempt", Attempt(child)},
                                                       {"session_id", child.id}, {"role", Role(child)}});
  return true;
}

void PlanDriver::TaskEnded(SessionRecord& plan, const SessionRecord& child, const std::vector<SessionRecord>& children) {
  size_t task = static_cast<size_t>(child.position.value_or(0));
  std::string n = std::to_string(task + 1);
  const auto& def = plan.state["tasks"][task];
  switch (child.status) {
    case SessionStatus::kCompleted: {
      if (def.value("verify", nlohmann::json()).is_string()) {
        CreateRequest req;
        req.tool = "shell";
        req.mode = SessionMode::kAutonomous;  // pipes: the output is the check's words, no terminal
        req.project_path = plan.project_path;
        req.command = {"sh", "-c", def["verify"].get<std::string>()};
        CreateRequest like = manager_.RequestLike(child);
        req.env = like.env;
        req.caller_env = like.caller_env;
        req.parent_id = plan.id;
        req.position = static_cast<int64_t>(task);
        req.metadata = {{"plan_role", "verify"}, {"attempt", std::to_string(Attempt(child))}};
        auto verify = manager_.Create(std::move(req));
        if (!verify.ok()) return Finish(plan, SessionAction::kFail, "verify_failed", verify.error().message, {});
        Begin(plan, *verify, children);
        return;
      }
      return TaskDone(plan, task, children);
    }
    case SessionStatus::kFailed: {
      bool fell_back = false;
      for (const auto& c : children)
        if (c.position == child.position && c.metadata.count("plan_fallback")) fell_back = true;
      if (child.metadata.count("lost_conversation") && !fell_back) return Fallback(plan, child, children);
      return Finish(plan, SessionAction::kFail, "task_failed",
                    "task " + n + " failed: " + child.error.value_or("exit " + std::to_string(child.exit_code.value_or(-1))),
                    {{"task", task + 1}, {"session_id", child.id}});
    }
    case SessionStatus::kCancelled:
      return Finish(plan, SessionAction::kStop, "stopped", "task " + n + " was stopped",
                    {{"task", task + 1}, {"session_id", child.id}});
    default:  // interrupted: the plan waits for `resume`
      return Finish(plan, SessionAction::kInterrupt, "", "interrupted: task " + n + " was interrupted",
                    {{"task", task + 1}, {"session_id", child.id}});
  }
}

void PlanDriver::VerifyEnded(SessionRecord& plan, const SessionRecord& verify, const std::vector<SessionRecord>& children) {
  size_t task = static_cast<size_t>(verify.position.value_or(0));
  std::string n = std::to_string(task + 1);
  const auto& def = plan.state["tasks"][task];
  int attempts = AttemptsAt(children, task);
  int max_attempts = def.value("max_attempts", 3);
  if (verify.status == SessionStatus::kCompleted) {
    (void)manager_.RecordEvent(plan.id, "verify_passed",
                               {{"task", task + 1}, {"attempt", attempts}, {"session_id", verify.id}});
    return TaskDone(plan, task, children);
  }
  if (verify.status == SessionStatus::kCancelled)
    return Finish(plan, SessionAction::kStop, "stopped", "the check of task " + n + " was stopped", {{"task", task + 1}});
  if (verify.status == SessionStatus::kInterrupted)
    return Finish(plan, SessionAction::kInterrupt, "", "interrupted: the check of task " + n + " was interrupted",
                  {{"task", task + 1}});
  std::string output = OutputTail(manager_, verify, 200);
  int exit_code = verify.exit_code.value_or(-1);
  bool will_retry = attempts < max_attempts;
  (void)manager_.RecordEvent(plan.id, "verify_failed",
                             {{"task", task + 1}, {"attempt", attempts}, {"exit_code", exit_code}, {"output", output},
                              {"session_id", verify.id}, {"will_retry", will_retry}});
  if (!will_retry)
    return Finish(plan, SessionAction::kFail, "verify_failed",
                  "task " + n + ": `" + def["verify"].get<std::string>() + "` still failed after " +
                      std::to_string(attempts) + " attempt(s) (exit code " + std::to_string(exit_code) + ")",
                  {{"task", task + 1}, {"attempts", attempts}, {"exit_code", exit_code}, {"output", output}});
  // An agent is told what failed; a command (the shell tool) simply runs again.
  std::optional<std::string> prompt;
  if (def.value("tool", std::string()) != "shell") prompt = VerifyRetryPrompt(def["verify"].get<std::string>(), exit_code, output);
  auto next = NewAttempt(plan, task, children, prompt, std::nullopt, false);
  if (!next.ok()) return Finish(plan, SessionAction::kFail, "task_failed", next.error().message, {{"task", task + 1}});
  Schedule(plan.id);
}

void PlanDriver::TaskDone(SessionRecord& plan, size_t task, const std::vector<SessionRecord>& children) {
  const SessionRecord* last = NewestAt(children, task, true);
  (void)manager_.RecordEvent(plan.id, "task_completed",
                             {{"task", task + 1}, {"session_id", last ? last->id : ""},
                              {"attempts", AttemptsAt(children, task)}});
  size_t total = plan.state["tasks"].size();
  if (task + 1 >= total) return Finish(plan, SessionAction::kComplete, "completed", "", {{"tasks", total}});
  if (!UpdatePlan(plan, [&](SessionRecord& r) { r.state["current"] = task + 1; })) return;
  Schedule(plan.id);
}

Result<SessionRecord> PlanDriver::NewAttempt(const SessionRecord& plan, size_t task,
                                             const std::vector<SessionRecord>& children,
                                             std::optional<std::string> prompt, std::optional<std::string> context,
                                             bool fresh_conversation) {
  const SessionRecord* first = nullptr;
  for (const auto& c : children)
    if (c.position == static_cast<int64_t>(task) && IsTask(c)) {
      first = &c;
      break;
    }
  if (!first) return Error::Internal("task " + std::to_string(task + 1) + " has no session to try again from");
  CreateRequest req = manager_.RequestLike(*first);
  req.parent_id = plan.id;
  req.position = static_cast<int64_t>(task);
  req.metadata = {{"plan_role", "task"}, {"attempt", std::to_string(AttemptsAt(children, task) + 1)}};
  if (prompt) {
    req.prompt = *prompt;
    req.spec_ids.clear();
    req.context = ComposeContext({}, prompt);
  }
  if (context) req.context = *context;
  if (fresh_conversation) req.metadata["plan_fallback"] = "1";
  return manager_.Create(std::move(req));
}

void PlanDriver::Finish(SessionRecord& plan, SessionAction action, const std::string& end_reason,
                        const std::string& error, nlohmann::json payload) {
  SessionRecord rec = plan;
  int64_t now = NowMs();
  rec.ended_at = now;
  if (rec.started_at) rec.duration_ms = now - *rec.started_at;
  if (action != SessionAction::kInterrupt) {
    rec.state["current"] = nullptr;
    rec.state["end_reason"] = end_reason;
  }
  if (!error.empty()) rec.error = error;
  if (!payload.is_object()) payload = nlohmann::json::object();
  if (!end_reason.empty()) payload["end_reason"] = end_reason;
  if (!error.empty()) payload["reason"] = error;
  payload["spent"] = rec.state["spent"];
  static const std::map<SessionAction, const char*> kEvent = {{SessionAction::kComplete, "completed"},
                                                              {SessionAction::kFail, "failed"},
                                                              {SessionAction::kStop, "cancelled"},
                                                              {SessionAction::kInterrupt, "interrupted"}};
  auto done = manager_.TransitionParent(rec, action, kEvent.at(action), payload);
  if (!done.ok()) {
    spdlog::error("plan {}: could not record its end: {}", plan.id, done.error().message);
    return RetryLater(plan.id);
  }
  plan = std::move(*done);
  spdlog::info("plan {} {}{}", plan.id, ToString(plan.status), error.empty() ? "" : ": " + error);
  if (IsTerminal(plan.status) && plan.status != SessionStatus::kInterrupted) {
    for (const auto& c : manager_.Children(plan.id))
      if (c.status == SessionStatus::kPending) (void)manager_.Stop(c.id, 0);
  }
  runs_.erase(plan.id);
}

bool PlanDriver::CheckBudget(SessionRecord& plan, const std::vector<SessionRecord>& children) {
  if (plan.state.contains("_budget")) return true;
  auto budget = BudgetFromJson(plan.state.value("budget", nlohmann::json::object()));
  if (!budget.any()) return false;
  PlanSpent spent;
  spent.tokens = plan.state["spent"].value("tokens", int64_t{0});
  spent.cost_usd = plan.state["spent"].value("cost_usd", 0.0);
  spent.time_ms = plan.started_at ? NowMs() - *plan.started_at : 0;
  auto over = OverBudget(budget, spent);
  if (!over) return false;
  (void)manager_.RecordEvent(plan.id, "budget_exceeded", *over);
  if (!UpdatePlan(plan, [&](SessionRecord& r) { r.state["_budget"] = *over; })) return true;
  bool stopping = false;
  for (const auto& c : children)
    if (manager_.IsLive(c.id)) {
      stopping = true;
      (void)manager_.Stop(c.id, std::nullopt);  // gracefully: SIGTERM, SIGKILL after the grace period
    }
  if (!stopping) Schedule(plan.id);
  return true;
}

void PlanDriver::TakeStartSnapshot(const SessionRecord& plan) {
  auto& run = runs_[plan.id];
  if (run.busy) return;
  run.busy = true;
  std::weak_ptr<bool> alive = alive_;
  std::string id = plan.id, project = plan.project_path;
  asio::post(git_, [this, alive, id, project] {
    auto tree = SnapshotTree(project);
    asio::post(io_, [this, alive, id, tree = std::move(tree)] {
      if (!alive.lock()) return;
      runs_[id].busy = false;
      SessionRecord plan;
      plan.id = id;
      UpdatePlan(plan, [&](SessionRecord& r) {
        r.state["_ready"] = true;
        if (tree.ok()) r.state["_start_tree"] = *tree;
        else r.state["_start_tree_error"] = tree.error().message;
      });
      Schedule(id);
    });
  });
}

void PlanDriver::Fallback(SessionRecord& plan, const SessionRecord& failed, const std::vector<SessionRecord>& children) {
  size_t task = static_cast<size_t>(failed.position.value_or(0));
  auto meta = [&](const char* k) { return failed.metadata.count(k) ? failed.metadata.at(k) : std::string(); };
  (void)manager_.RecordEvent(plan.id, "conversation_fallback",
                             {{"task", task + 1}, {"conversation", meta("resume_conversation")},
                              {"reason", meta("lost_conversation")}, {"session_id", failed.id}});
  // The record of the plan so far: each finished task's prompt and final answer.
  std::vector<TaskRecord> done;
  const auto& defs = plan.state["tasks"];
  for (size_t i = 0; i < task && i < defs.size(); ++i) {
    const SessionRecord* last = NewestAt(children, i, true);
    TaskRecord t;
    t.number = i + 1;
    const auto& d = defs[i];
    t.asked = d.value("prompt", nlohmann::json()).is_string()   ? d["prompt"].get<std::string>()
              : d.value("spec", nlohmann::json()).is_string()   ? "Spec " + d["spec"].get<std::string>()
              : d.value("command", nlohmann::json()).is_string() ? "Command: " + d["command"].get<std::string>()
                                                                 : "";
    if (last) t.answer = FinalAnswer(manager_, *last);
    done.push_back(std::move(t));
  }
  const SessionRecord* first = nullptr;
  for (const auto& c : children)
    if (c.position == failed.position && IsTask(c)) {
      first = &c;
      break;
    }
  std::string task_context = first ? first->context : failed.context;
  if (first && first->id != failed.id && !failed.context.empty()) task_context += "\n\n" + failed.context;
  std::string name = plan.state.value("name", std::string("plan"));
  std::string start_tree = plan.state.value("_start_tree", std::string());
  std::string project = plan.project_path, id = plan.id;
  runs_[id].busy = true;
  std::weak_ptr<bool> alive = alive_;
  asio::post(git_, [this, alive, id, project, start_tree, name, done, task_context, task] {
    std::string stat;
    if (!start_tree.empty()) {
      auto now = SnapshotTree(project);
      auto diff = now.ok() ? DiffStat(project, start_tree, *now) : Result<std::string>(now.error());
      stat = diff.ok() ? *diff : "(could not compute: " + diff.error().message + ")";
    }
    std::string record = FallbackRecord(name, done, stat, task_context);
    asio::post(io_, [this, alive, id, record, task] {
      if (!alive.lock()) return;
      runs_[id].busy = false;
      auto plan = manager_.Get(id);
      if (!plan.ok()) return;
      auto children = manager_.Children(id);
      auto fresh = NewAttempt(*plan, task, children, std::nullopt, record, true);
      if (!fresh.ok())
        return Finish(*plan, SessionAction::kFail, "task_failed", fresh.error().message, {{"task", task + 1}});
      UpdatePlan(*plan, [](SessionRecord& r) {
        r.state["conversation_id"] = nullptr;
        r.agent_session_id.reset();
      });
      Schedule(id);
    });
  });
}

}  // namespace agentmux
