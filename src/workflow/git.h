// Git for workflows (DESIGN §8, issues 14–15), through the git CLI (proc/run_command.h; why the CLI
// and not libgit2: docs/architecture.md "Git"). Nothing here changes the user's HEAD, branch, index,
// stash or reflog unless the function says so (Merge): snapshots are written with a private index
// file (GIT_INDEX_FILE, a copy of the user's so `git add -A` reuses its stat cache), and checkpoint
// commits are referenced from refs/agentmux/checkpoints/… only.
//
// Blocking (each call runs git processes): call off the event loop, or accept the wait. Errors:
// kInvalidArgument "not_a_git_repository" (with what to do) when the path is in no repository;
// kUnavailable "git_not_found" when git is not installed; kInternal with git's own words for
// anything else; kConflict where a function says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace agentmux {

// The top of the working tree holding `path` (absolute).
Result<std::string> RepoRoot(const std::string& path);

// The tree id (40 hex) of the working tree holding `project` now: tracked and untracked files, not
// ignored ones.
Result<std::string> SnapshotTree(const std::string& project);

// `git diff --stat` (with a summary line) from tree-ish `from` to `to`; "" when nothing changed.
Result<std::string> DiffStat(const std::string& project, const std::string& from, const std::string& to);

// A commit of the working tree now (SnapshotTree), with `parent` as its parent when given (else
// HEAD's commit, or none in a repository without commits), author and committer "agentmux", and
// `message`; referenced from `ref` (created or moved). Returns the commit id.
Result<std::string> CommitSnapshot(const std::string& project, const std::string& message,
                                   const std::optional<std::string>& parent, const std::string& ref);

// Makes the working tree holding `project` hold exactly what commit `commit` has: its files written
// (content and mode), and files that are in the tree now but not in the commit removed — ignored
// files are left alone. The user's index and HEAD are untouched. Returns the paths it changed.
Result<std::vector<std::string>> RestoreTree(const std::string& project, const std::string& commit);

// One file of a diff.
struct DiffFileStat {
  std::string path;
  std::string old_path;  // renamed: where it came from; else = path
  std::string status;    // added | modified | deleted | renamed
  int64_t additions = 0, deletions = 0;
  bool binary = false;
};

struct DiffResult {
  std::vector<DiffFileStat> files;
  int64_t additions = 0, deletions = 0;
  std::string patch;  // unified diff ("" with stat_only)
};

// What changed from tree-ish `from` to `to` (renames found).
Result<DiffResult> Diff(const std::string& project, const std::string& from, const std::string& to, bool stat_only);

// The commit `rev` (a branch, a tag, an id) names. Errors: kConflict "worktree_gone" when none.
Result<std::string> ResolveCommit(const std::string& project, const std::string& rev);

// HEAD's commit, or nullopt in a repository without commits.
Result<std::optional<std::string>> HeadCommit(const std::string& project);

// OK when the repository holding `project` has a commit to branch from. Errors: kConflict
// "no_commits" (saying what to do), not_a_git_repository.
Status RequireCommits(const std::string& project);

// `git worktree add -b <branch> <path> <base>` from the repository holding `project`. Errors:
// kConflict "no_commits" (a repository without commits has nothing to branch from), "branch_exists".
Result<std::string> AddWorktree(const std::string& project, const std::string& path, const std::string& branch,
                                const std::string& base);

// Commits whatever `worktree` holds uncommitted (tracked and untracked, not ignored) on its
// branch, author agentmux, `message`. Returns the new commit, or nullopt when there was nothing.
Result<std::optional<std::string>> CommitWorktree(const std::string& worktree, const std::string& message);

struct MergeResult {
  bool fast_forward = false;
  std::string commit;  // HEAD after the merge
};

// Merges `branch` into the current branch of the working tree holding `project`: fast-forward when
// possible, else a merge commit. A merge that would conflict is found first (`git merge-tree
// --write-tree`) and refused as kConflict "merge_conflict" naming the files, with nothing changed;
// git's own refusals (uncommitted changes in the way) come back as kConflict "merge_refused".
Result<MergeResult> Merge(const std::string& project, const std::string& branch);

// Removes a worktree (its files too) and, with `delete_branch`, its branch (`force`: even with
// commits not merged anywhere; else kConflict "branch_not_merged" and the branch stays).
Status RemoveWorktree(const std::string& project, const std::string& path, const std::optional<std::string>& branch,
                      bool force);

}  // namespace agentmux
