// What a plan changed in its project, without touching the user's git state: the working tree
// (tracked and untracked files, not ignored ones) written as a tree object with a private index
// file (GIT_INDEX_FILE), and `git diff --stat` between two such trees. HEAD, the branch, the index,
// the stash and the reflog are never changed; the trees are unreferenced objects (git gc drops them
// after its grace period). Runs the git CLI (proc/run_command.h): blocking, call off the loop.
#pragma once

#include <string>

#include "base/result.h"

namespace agentmux {

// The tree id (40 hex) of `project`'s repository's working tree now. Errors: kUnavailable
// "not_a_git_repository" (the project is in no git repository, or git is missing), kInternal
// with git's own words.
Result<std::string> SnapshotTree(const std::string& project);

// `git diff --stat` (with a summary line) from tree `from` to tree `to`; "" when nothing changed.
Result<std::string> DiffStat(const std::string& project, const std::string& from, const std::string& to);

}  // namespace agentmux
