// Orchestrations (DESIGN §9, seed 003, issue 17): an agent or an editor hands subtasks to other
// agents and follows them. An orchestration is a plan-kind session (it runs no process) whose
// state holds `orchestration` {workspace, version, created_by} and `tasks`; each subtask is a
// child agent session (parent_id = the orchestration, position = the task's index, metadata
// orchestration_task "t<N>", plan_role "task" or "verify", attempt N). Unlike a plan's tasks,
// subtasks run when a client asks (Execute), each with its own tool and conversation, several at
// once.
//
// Lifecycle: Initialize creates it running (or re-binds to one by id); Stop cancels what runs;
// Synthesize with `complete` ends it completed once nothing runs or waits. A daemon restart
// changes nothing stored: subtasks that ran are interrupted (SessionManager::Recover), the
// orchestration stays running and answers Status as before.
//
// Every change (plan, execute, complete by the caller) is one store write on the loop thread that
// bumps state.orchestration.version, so concurrent clients never lose an update; a caller may pass
// the version it saw (expected_version) and gets version_conflict if another changed it since.
//
// Threading: loop thread only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "session/manager.h"
#include "session/parent.h"

namespace agentmux {

class Checkpoints;

// True for a plan-kind session made by Orchestrations::Initialize.
bool IsOrchestration(const SessionRecord& s);
// An orchestration's state.orchestration.version (0 when absent).
int64_t VersionOf(const SessionRecord& orchestration);

struct SubtaskSpec {
  std::string prompt;
  std::string title;                 // "" = the prompt's first words
  std::string tool;                  // "" = the orchestration's default tool
  std::vector<std::string> specs;    // spec ids of the orchestration's project
  bool worktree = false;             // run in a git worktree of its own
  std::optional<std::string> verify;  // shell command run in its tree after the agent; non-zero = failed
  std::optional<int64_t> timeout_ms;
};

class Orchestrations : public ParentDriver, private SessionObserver {
 public:
  // Watches `manager`'s bus (verify runs after a subtask's agent). `checkpoints` (may be null)
  // gives the diff stat of each subtask in Synthesize. Both must outlive it. The PlanDriver hands
  // orchestrations to it (plans.h SetOrchestrations).
  Orchestrations(boost::asio::io_context& io, SessionManager& manager, Checkpoints* checkpoints);
  ~Orchestrations() override;

  struct InitRequest {
    std::string working_directory;           // a path inside the project (must exist)
    std::optional<std::string> session_id;   // re-bind to this orchestration (id, prefix or name)
    std::string name;                        // "" = "orchestrate <project dir name>"
    std::string tool;                        // default tool of subtasks ("" = claude)
    std::string created_by;                  // the MCP client's name, for people
  };
  // Creates a running orchestration for the project around `working_directory` (workspace.h
  // DetectWorkspace: its root is the project), or returns the one named by `session_id`.
  // Errors: no_such_directory, unknown_tool, session_not_found, not_an_orchestration,
  // wrong_project (session_id belongs to another project than working_directory),
  // store_unavailable.
  Result<SessionRecord> Initialize(const InitRequest& request);

  // The orchestration `id_or_prefix`. Errors: session_not_found, ambiguous_id,
  // not_an_orchestration.
  Result<SessionRecord> Get(const std::string& id_or_prefix);

  // Adds subtasks (pending child sessions) in one go: all or none. Returns their task ids
  // ("t<N>", in order). Errors: orchestration_ended, version_conflict, bad_task (empty prompt),
  // unknown_tool, unknown_spec, not_a_git_repository / no_commits (worktree), store_unavailable.
  Result<std::vector<std::string>> Plan(const std::string& id, const std::vector<SubtaskSpec>& tasks,
                                        const std::optional<std::map<std::string, std::string>>& caller_env,
                                        std::optional<int64_t> expected_version);

  // Starts the subtask's agent session: its pending one, or a new attempt after one that failed
  // or was cancelled/interrupted. Returns the session. Errors: unknown_task, task_running,
  // task_done (completed already), orchestration_ended, binary_not_found (and the manager's
  // start errors).
  Result<SessionRecord> Execute(const std::string& id, const std::string& task_id,
                                const std::optional<std::map<std::string, std::string>>& caller_env);

  // Records that the caller did subtask `task_id` itself: its summary and files. A pending
  // session of it is cancelled. Errors: unknown_task, task_running, orchestration_ended.
  Result<SessionRecord> CompleteByCaller(const std::string& id, const std::string& task_id, const std::string& summary,
                                         const std::vector<std::string>& files);

  // {session_id, name, status, version, project, workspace, subtasks: [{task_id, title, tool,
  // status, session_id, attempts, progress {elapsed_ms, log_bytes, turns}, tokens, cost_usd,
  // error}], counts {planned, running, completed, failed, cancelled}, totals {tokens, cost_usd}}.
  // Without include_completed, completed subtasks are left out of `subtasks` (still counted).
  nlohmann::json Status(const SessionRecord& orchestration, bool include_completed);

  // Every subtask's outcome: {session_id, status, subtasks: [{task_id, title, tool, status,
  // session_id, answer, files_changed [{path, added, removed}], error, tokens, cost_usd}],
  // failures: [{task_id, error}], totals, counts}. With `complete` and nothing running or
  // planned, the orchestration ends (completed) after this.
  Result<nlohmann::json> Synthesize(const std::string& id, bool complete);

  // ParentDriver (parent.h).
  Result<SessionRecord> Start(const SessionRecord& orchestration) override;
  Result<SessionRecord> Pause(const SessionRecord& orchestration) override;
  Result<SessionRecord> Resume(const SessionRecord& orchestration) override;
  Result<SessionRecord> Stop(const SessionRecord& orchestration, std::optional<int64_t> grace_ms) override;
  void Recover() override {}

 private:
  // A subtask as its children show it.
  struct TaskView {
    std::string id;  // "t<N>"
    size_t index = 0;
    nlohmann::json spec;  // state.tasks[index]
    std::vector<SessionRecord> attempts;  // plan_role task, oldest first
    std::optional<SessionRecord> verify;  // the newest verify run after the last attempt
    std::string status;                   // planned running paused verifying completed failed cancelled interrupted
    std::string error;

    const SessionRecord* last() const { return attempts.empty() ? nullptr : &attempts.back(); }
  };
  std::vector<TaskView> Tasks(const SessionRecord& orchestration);
  Result<SessionRecord> Bump(const std::string& id, const std::function<void(SessionRecord&)>& mutate);
  Result<SessionRecord> Open(const std::string& id);  // Get + not ended
  void OnLog(const LogChunkPtr&) override {}
  void OnEvent(const EventRecord&) override {}
  void OnStatus(const SessionRecord& session) override;
  void StartVerify(const std::string& orchestration_id, const std::string& child_id);

  boost::asio::io_context& io_;
  SessionManager& manager_;
  Checkpoints* checkpoints_;
  ObserverHandle watch_;
  std::set<std::string> verifying_;  // agent sessions whose verify run is being made
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agentmux
