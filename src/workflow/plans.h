// Plans (DESIGN §8, seed 004, issue 14): ordered tasks run by one agent in one conversation. A
// plan is a session of kind `plan` (it runs no process); each try of a task is a child agent
// session (parent_id = the plan, position = the task's index, metadata plan_role "task" and
// attempt N), each run of a task's verify command a child shell session (plan_role "verify").
//
// PlanDriver drives them through the one SessionManager (parent.h): task 1 starts the
// conversation, every later task resumes it (the adapter's resume form); a task whose CLI lost the
// conversation is rerun once in a fresh one seeded with a record of the plan so far (event
// conversation_fallback); a failing verify command makes the next attempt in the same
// conversation, its output as the prompt, up to max_attempts (seed 001's Ralph mode); a budget
// (tokens, cost, wall time) stops the running task and fails the plan with end_reason "budget".
//
// The driver is a reconcile loop: whenever a child of a plan changes (it watches the bus), the
// plan's next step is decided from what is stored — the children's statuses and the plan's state
// — so a daemon that died at any point continues where the store says (Recover). What a plan
// keeps in `state` (JSON): name, tasks, current (task index), conversation_id, budget, spent,
// end_reason (docs/api.md "Plan"), and the engine's own keys: _ready (the start snapshot was
// taken), _start_tree (git tree of the project at the start), _stop, _budget.
//
// Threading: loop thread only. Git runs on a thread of the driver's and posts back.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "session/manager.h"
#include "session/parent.h"
#include "workflow/plan_file.h"

namespace agentmux {

class PlanDriver : public ParentDriver, private SessionObserver {
 public:
  // Registers itself with `manager` for kind plan and watches its bus. Both must outlive it.
  PlanDriver(boost::asio::io_context& io, SessionManager& manager);
  ~PlanDriver() override;

  // Validates `def` and stores the plan with its tasks' first attempts (pending); with `start`,
  // starts it. `cwd` resolves a relative or missing `project`. Errors (nothing is stored then):
  // invalid_plan, unknown_tool, unknown_spec / ambiguous_spec, bad_project_path — each message
  // beginning "file:line: field: " when `def` came from a file — and store_unavailable.
  Result<SessionRecord> Create(const PlanDefinition& def, const std::string& cwd, bool start);

  // Orchestrations (orchestration.h) are plan-kind sessions with a driver of their own: their
  // start, pause, resume and stop go to `driver`, and the reconcile loop leaves them alone.
  void SetOrchestrations(ParentDriver* driver) { orchestrations_ = driver; }

  // ParentDriver (parent.h).
  Result<SessionRecord> Start(const SessionRecord& plan) override;
  Result<SessionRecord> Pause(const SessionRecord& plan) override;
  Result<SessionRecord> Resume(const SessionRecord& plan) override;
  Result<SessionRecord> Stop(const SessionRecord& plan, std::optional<int64_t> grace_ms) override;
  void Recover() override;

 private:
  struct Run {  // a plan this daemon drives (running or paused)
    std::unique_ptr<boost::asio::steady_timer> time_budget;
    bool busy = false;  // git work in flight: no step until it posts back
  };

  // SessionObserver (a watcher of every session).
  void OnLog(const LogChunkPtr&) override {}
  void OnEvent(const EventRecord&) override {}
  void OnStatus(const SessionRecord& session) override;

  // plan_run.cc: the reconcile loop and its steps.
  void Schedule(const std::string& plan_id);
  void Reconcile(const std::string& plan_id);
  void Step(SessionRecord plan, const std::vector<SessionRecord>& children);
  bool Begin(SessionRecord& plan, const SessionRecord& child, const std::vector<SessionRecord>& children);
  void TaskEnded(SessionRecord& plan, const SessionRecord& child, const std::vector<SessionRecord>& children);
  void VerifyEnded(SessionRecord& plan, const SessionRecord& child, const std::vector<SessionRecord>& children);
  void TaskDone(SessionRecord& plan, size_t task, const std::vector<SessionRecord>& children);
  void Fallback(SessionRecord& plan, const SessionRecord& failed, const std::vector<SessionRecord>& children);
  void Finish(SessionRecord& plan, SessionAction action, const std::string& end_reason, const std::string& error,
              nlohmann::json payload);
  bool CheckBudget(SessionRecord& plan, const std::vector<SessionRecord>& children);
  void ArmTimeBudget(const SessionRecord& plan);
  void TakeStartSnapshot(const SessionRecord& plan);
  Result<SessionRecord> NewAttempt(const SessionRecord& plan, size_t task, const std::vector<SessionRecord>& children,
                                   std::optional<std::string> prompt, std::optional<std::string> context,
                                   bool fresh_conversation);
  // Writes the plan's record; false (and a retry of the step in a second) when the store refused.
  bool UpdatePlan(SessionRecord& plan, const std::function<void(SessionRecord&)>& mutate);
  void RetryLater(const std::string& plan_id);

  boost::asio::io_context& io_;
  SessionManager& manager_;
  ObserverHandle watch_;
  ParentDriver* orchestrations_ = nullptr;
  std::map<std::string, Run> runs_;
  std::set<std::string> scheduled_;
  boost::asio::thread_pool git_{1};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agentmux
