// Checkpoints, worktrees and diffs (DESIGN §8, seed 002, issue 15): what an agent did to its
// project — seen, isolated, rewound.
//
//   checkpoint   a commit of a session's working tree (tracked and untracked files, not ignored
//                ones) made with a private index, kept at refs/agentmux/checkpoints/<session>/<n>
//                and stored in `checkpoints`. Taken automatically when an agent session starts
//                ("before") and ends ("after") in a git repository, on request ("manual"), and of
//                the present by every restore ("undo").
//   worktree     a session created with worktree: true runs in `git worktree add` under
//                $AGENTMUX_HOME/worktrees/<id> on branch agentmux/<id's random end>, from HEAD or
//                `base`; what it leaves uncommitted is committed on its branch when it ends.
//   diff         worktree: its branch against its base; in place: after (or now) against before.
//
// Git runs through the git CLI (workflow/git.h). The checkpoints of a session's start and end are
// taken on the loop, synchronously — before the process is made and before anything hears of the
// end (a plan's next task included) — so "before" and "after" are exactly the tree the agent found
// and left; in a repository of 20,000 files that is ~0.3 s (docs/benchmarks.md).
//
// Threading: loop thread only.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "session/manager.h"
#include "workflow/git.h"

namespace agentmux {

class Checkpoints {
 public:
  // Hooks itself into `manager` (its launch and finish hooks). `worktrees_dir`: where worktrees
  // go ($AGENTMUX_HOME/worktrees). Both must outlive it.
  Checkpoints(SessionManager& manager, std::string worktrees_dir);
  ~Checkpoints();

  // A checkpoint of session `id`'s tree now. Errors: session_not_found, not_a_git_repository,
  // worktree_gone, git's failures.
  Result<CheckpointRecord> Take(const std::string& id, const std::string& kind, std::optional<std::string> message);
  std::vector<CheckpointRecord> List(const std::string& session_id);

  struct Restored {
    CheckpointRecord restored, undo;
    std::optional<SessionRecord> session;  // with `continue`
    std::vector<std::string> changed;      // paths written or removed
  };
  // Puts the checkpoint's tree back after a checkpoint of the present; with `continue`, a new
  // session resumes the checkpoint's conversation (forked where the CLI can; else a fresh one told
  // what was restored) with `prompt`. Errors: checkpoint_not_found, session_running (a session runs
  // in that tree), worktree_gone (its worktree was removed), git's failures.
  Result<Restored> Restore(const std::string& checkpoint_id, bool continue_conversation,
                           const std::optional<std::string>& prompt);

  struct SessionDiff {
    std::string base, head;
    DiffResult diff;
  };
  // What session `s` changed. Errors: not_a_git_repository, no_checkpoints.
  Result<SessionDiff> DiffOf(const SessionRecord& s, bool stat_only);

  // Worktree sessions (ended): merge the branch into the project's current branch, or throw it
  // away. Errors: no_worktree, session_running, merge_conflict, merge_refused.
  Result<MergeResult> MergeSession(const std::string& id);
  Status Discard(const std::string& id);
  // Before `rm`: its worktree goes; its branch too unless it holds unmerged work (`force`: anyway).
  Status BeforeDelete(const SessionRecord& s, bool force);
  // Before create: a worktree needs a git repository with a commit. Errors: not_a_git_repository,
  // no_commits.
  Status CheckWorktreeRequest(const std::string& project);

 private:
  Status OnLaunch(SessionRecord& rec);
  void OnFinish(SessionRecord& rec);
  Result<CheckpointRecord> Record(const SessionRecord& s, const std::string& tree, const std::string& kind,
                                  std::optional<std::string> message);
  std::optional<std::string> GitRoot(const std::string& path);

  SessionManager& manager_;
  std::string worktrees_dir_;
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> roots_;  // path → (when, git root)
};

}  // namespace agentmux
