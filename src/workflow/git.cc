#include "workflow/git.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "base/ids.h"
#include "proc/run_command.h"

namespace agentmux {
namespace {

constexpr int64_t kGitTimeoutMs = 120'000;
namespace fs = std::filesystem;

// Every call: no prompts, no optional index refreshes (status must not write the user's index).
const std::vector<std::string> kBaseEnv = {"GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0", "LC_ALL=C"};
const std::vector<std::string> kIdentity = {"GIT_AUTHOR_NAME=agentmux", "GIT_AUTHOR_EMAIL=agentmux@localhost",
                                            "GIT_COMMITTER_NAME=agentmux", "GIT_COMMITTER_EMAIL=agentmux@localhost"};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Runs `git ARGS` in `dir`; the result whatever the exit code.
Result<CommandResult> RunGit(const std::string& dir, std::vector<std::string> args,
                             const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), {"git", "-c", "core.quotepath=off", "-c", "color.ui=false"});
  std::vector<std::string> all = kBaseEnv;
  all.insert(all.end(), env.begin(), env.end());
  auto r = RunCommand(args, dir, all, kGitTimeoutMs, 256u << 20);
  if (!r.ok()) {
    if (r.error().code == "binary_not_found")
      return Error::Unavailable("git_not_found", "git is not installed (apt-get install git)");
    return r.error();
  }
  if (r->timed_out) return Error::Internal("git " + args[5] + " took longer than 120 s");
  return r;
}

// `git ARGS` that must succeed: its output.
Result<std::string> Git(const std::string& dir, std::vector<std::string> args, const std::vector<std::string>& env = {}) {
  std::string what = args.empty() ? "" : args[0];
  auto r = RunGit(dir, std::move(args), env);
  if (!r.ok()) return r.error();
  if (r->exit_code != 0) return Error::Internal("git " + what + " failed: " + Trim(r->output));
  return r->output;
}

std::vector<std::string> SplitZ(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find('\0', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// A private index file for one operation, next to the repository's own (removed with the object).
class PrivateIndex {
 public:
  static Result<PrivateIndex> Make(const std::string& project, bool copy_users) {
    auto git_dir = Git(project, {"rev-parse", "--absolute-git-dir"});
    if (!git_dir.ok())
      return Error::InvalidArgument("not_a_git_repository",
                                    project + " is not in a git repository (checkpoints and worktrees need git: "
                                              "`git init` it first)");
    PrivateIndex p;
    p.path_ = Trim(*git_dir) + "/agentmux-index-" + RandomHex(8);
    if (copy_users) {
      auto index = Git(project, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
      std::error_code ec;
      if (index.ok() && fs::exists(Trim(*index), ec))
        fs::copy_file(Trim(*index), p.path_, fs::copy_options::overwrite_existing, ec);
    }
    return p;
  }
  PrivateIndex() = default;
  PrivateIndex(PrivateIndex&& o) noexcept : path_(std::exchange(o.path_, "")) {}
  ~PrivateIndex() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove(path_, ec);
    fs::remove(path_ + ".lock", ec);
  }
  std::vector<std::string> Env() const { return {"GIT_INDEX_FILE=" + path_}; }

 private:
  std::string path_;
};

}  // namespace

Result<std::string> RepoRoot(const std::string& path) {
  auto r = RunGit(path, {"rev-parse", "--show-toplevel"});
  if (!r.ok()) return r.error();
  if (r->exit_code != 0)
    return Error::InvalidArgument("not_a_git_repository", path + " is not in a git repository (checkpoints, diffs "
                                                                 "and worktrees need git: `git init` it first)");
  return Trim(r->output);
}

Result<std::string> SnapshotTree(const std::string& project) {
  auto index = PrivateIndex::Make(project, true);
  if (!index.ok()) return index.error();
  auto added = Git(project, {"add", "-A", "--", ":/"}, index->Env());
  if (!added.ok()) return added.error();
  auto tree = Git(project, {"write-tree"}, index->Env());
  if (!tree.ok()) return tree.error();
  return Trim(*tree);
}

Result<std::string> DiffStat(const std::string& project, const std::string& from, const std::string& to) {
  if (from == to) return std::string();
  return Git(project, {"diff", "--stat=120", from, to});
}

Result<std::optional<std::string>> HeadCommit(const std::string& project) {
  auto r = RunGit(project, {"rev-parse", "--verify", "-q", "HEAD^{commit}"});
  if (!r.ok()) return r.error();
  if (r->exit_code != 0) {
    if (auto root = RepoRoot(project); !root.ok()) return root.error();
    return std::optional<std::string>();  // unborn HEAD: no commits yet
  }
  return std::optional<std::string>(Trim(r->output));
}

Result<std::string> CommitSnapshot(const std::string& project, const std::string& message,
                                   const std::optional<std::string>& parent, const std::string& ref) {
  auto tree = SnapshotTree(project);
  if (!tree.ok()) return tree.error();
  std::optional<std::string> p = parent;
  if (!p) {
    auto head = HeadCommit(project);
    if (!head.ok()) return head.error();
    p = *head;
  }
  std::vector<std::string> args = {"commit-tree", *tree, "-m", message.empty() ? "agentmux checkpoint" : message};
  if (p) args.insert(args.end(), {"-p", *p});
  auto commit = Git(project, args, kIdentity);
  if (!commit.ok()) return commit.error();
  std::string id = Trim(*commit);
  auto updated = Git(project, {"update-ref", ref, id});
  if (!updated.ok()) return updated.error();
  return id;
}

Result<std::vector<std::string>> RestoreTree(const std::string& project, const std::string& commit) {
  auto root = RepoRoot(project);
  if (!root.ok()) return root.error();
  auto now = SnapshotTree(project);
  if (!now.ok()) return now.error();
  // From the checkpoint to now: A = made since (remove), D/M/T = gone or changed since (write back).
  auto added = Git(*root, {"diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", commit, *now});
  auto rewrite = Git(*root, {"diff", "--name-only", "-z", "--no-renames", "--diff-filter=DMT", commit, *now});
  if (!added.ok()) return added.error();
  if (!rewrite.ok()) return rewrite.error();
  std::vector<std::string> changed;
  for (const auto& rel : SplitZ(*added)) {
    fs::path p = fs::path(*root) / rel;
    std::error_code ec;
    fs::remove(p, ec);
    // Directories left empty by the removal go too (git does not keep them either).
    for (fs::path dir = p.parent_path(); dir != fs::path(*root) && fs::is_empty(dir, ec) && !ec; dir = dir.parent_path())
      fs::remove(dir, ec);
    changed.push_back(rel);
  }
  auto to_write = SplitZ(*rewrite);
  if (!to_write.empty()) {
    auto index = PrivateIndex::Make(*root, false);
    if (!index.ok()) return index.error();
    auto read = Git(*root, {"read-tree", commit}, index->Env());
    if (!read.ok()) return read.error();
    for (size_t i = 0; i < to_write.size(); i += 500) {  // argv stays well under the kernel's limit
      std::vector<std::string> args = {"checkout-index", "-f", "--"};
      for (size_t j = i; j < std::min(to_write.size(), i + 500); ++j) args.push_back(to_write[j]);
      auto out = Git(*root, args, index->Env());
      if (!out.ok()) return out.error();
    }
    changed.insert(changed.end(), to_write.begin(), to_write.end());
  }
  return changed;
}

Result<DiffResult> Diff(const std::string& project, const std::string& from, const std::string& to, bool stat_only) {
  auto status = Git(project, {"diff", "--name-status", "-z", "-M", from, to});
  auto numstat = Git(project, {"diff", "--numstat", "-z", "-M", from, to});
  if (!status.ok()) return status.error();
  if (!numstat.ok()) return numstat.error();
  DiffResult out;
  std::map<std::string, size_t> by_path;
  auto fields = SplitZ(*status);
  for (size_t i = 0; i < fields.size();) {
    const std::string& code = fields[i++];
    if (code.empty() || i >= fields.size()) break;
    DiffFileStat f;
    if (code[0] == 'R' || code[0] == 'C') {
      if (i + 1 >= fields.size()) break;
      f.old_path = fields[i++];
      f.path = fields[i++];
      f.status = code[0] == 'R' ? "renamed" : "added";
    } else {
      f.path = f.old_path = fields[i++];
      f.status = code[0] == 'A' ? "added" : code[0] == 'D' ? "deleted" : "modified";
    }
    by_path[f.path] = out.files.size();
    out.files.push_back(std::move(f));
  }
  // numstat -z: "ADD\tDEL\tPATH\0", or for a rename "ADD\tDEL\t\0OLD\0NEW\0"; "-\t-" for binary.
  auto nums = SplitZ(*numstat);
  for (size_t i = 0; i < nums.size();) {
    std::string rec = nums[i++];
    auto t1 = rec.find('\t'), t2 = rec.find('\t', t1 == std::string::npos ? 0 : t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    std::string add = rec.substr(0, t1), del = rec.substr(t1 + 1, t2 - t1 - 1), path = rec.substr(t2 + 1);
    if (path.empty() && i + 1 < nums.size()) {
      i++;  // the old path
      path = nums[i++];
    }
    auto it = by_path.find(path);
    if (it == by_path.end()) continue;
    DiffFileStat& f = out.files[it->second];
    if (add == "-") {
      f.binary = true;
      continue;
    }
    f.additions = std::atoll(add.c_str());
    f.deletions = std::atoll(del.c_str());
    out.additions += f.additions;
    out.deletions += f.deletions;
  }
  if (!stat_only) {
    auto patch = Git(project, {"diff", "-M", "--no-ext-diff", "--no-textconv", from, to});
    if (!patch.ok()) return patch.error();
    out.patch = std::move(*patch);
  }
  return out;
}

Result<std::string> ResolveCommit(const std::string& project, const std::string& rev) {
  auto r = RunGit(project, {"rev-parse", "--verify", "-q", rev + "^{commit}"});
  if (!r.ok()) return r.error();
  if (r->exit_code != 0) return Error::Conflict("worktree_gone", "no commit '" + rev + "' in " + project + " any more");
  return Trim(r->output);
}

Status RequireCommits(const std::string& project) {
  auto head = HeadCommit(project);
  if (!head.ok()) return head.error();
  if (!*head)
    return Error::Conflict("no_commits", "the repository at " + project +
                                             " has no commits yet, so there is nothing to branch a worktree from; "
                                             "commit once, or run without --worktree");
  return OkStatus();
}

Result<std::string> AddWorktree(const std::string& project, const std::string& path, const std::string& branch,
                                const std::string& base) {
  if (auto st = RequireCommits(project); !st.ok()) return st.error();
  auto r = RunGit(project, {"worktree", "add", "-q", "-b", branch, path, base});
  if (!r.ok()) return r.error();
  if (r->exit_code != 0) {
    std::string words = Trim(r->output);
    if (words.find("already exists") != std::string::npos)
      return Error::Conflict("branch_exists", "cannot make worktree branch " + branch + ": " + words);
    return Error::InvalidArgument("bad_base", "git worktree add " + base + " failed: " + words);
  }
  auto commit = Git(path, {"rev-parse", "HEAD"});
  if (!commit.ok()) return commit.error();
  return Trim(*commit);
}

Result<std::optional<std::string>> CommitWorktree(const std::string& worktree, const std::string& message) {
  auto status = Git(worktree, {"status", "--porcelain", "-z", "--untracked-files=all"});
  if (!status.ok()) return status.error();
  if (status->empty()) return std::optional<std::string>();
  auto added = Git(worktree, {"add", "-A", "--", ":/"});
  if (!added.ok()) return added.error();
  auto committed = Git(worktree, {"commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message}, kIdentity);
  if (!committed.ok()) return committed.error();
  auto head = Git(worktree, {"rev-parse", "HEAD"});
  if (!head.ok()) return head.error();
  return std::optional<std::string>(Trim(*head));
}

Result<MergeResult> Merge(const std::string& project, const std::string& branch) {
  auto root = RepoRoot(project);
  if (!root.ok()) return root.error();
  auto head = HeadCommit(*root);
  if (!head.ok()) return head.error();
  if (!*head) return Error::Conflict("no_commits", "the project has no commits to merge into");
  // The user's own identity makes the merge commit; agentmux's only when git has none.
  std::vector<std::string> env;
  if (auto who = RunGit(*root, {"config", "user.email"}); who.ok() && who->exit_code != 0) env = kIdentity;
  MergeResult out;
  auto ff = RunGit(*root, {"merge-base", "--is-ancestor", "HEAD", branch});
  if (!ff.ok()) return ff.error();
  std::vector<std::string> args;
  if (ff->exit_code == 0) {
    out.fast_forward = true;
    args = {"merge", "--ff-only", "-q", branch};
  } else {
    auto trial = RunGit(*root, {"merge-tree", "--write-tree", "--name-only", "--no-messages", "HEAD", branch});
    if (!trial.ok()) return trial.error();
    if (trial->exit_code == 1) {
      std::istringstream lines(trial->output);
      std::string line, files;
      std::getline(lines, line);  // the tree id
      while (std::getline(lines, line))
        if (!line.empty()) files += (files.empty() ? "" : ", ") + line;
      return Error::Conflict("merge_conflict", "merging " + branch + " would conflict in: " + files +
                                                   ". Nothing was changed; merge it by hand (git merge " + branch +
                                                   ") or discard it");
    }
    if (trial->exit_code != 0) return Error::Internal("git merge-tree failed: " + Trim(trial->output));
    args = {"merge", "--no-ff", "--no-edit", "-q", branch};
  }
  auto merged = RunGit(*root, args, env);
  if (!merged.ok()) return merged.error();
  if (merged->exit_code != 0)
    return Error::Conflict("merge_refused", "git refused to merge " + branch + ": " + Trim(merged->output));
  auto now = HeadCommit(*root);
  if (!now.ok()) return now.error();
  out.commit = now->value_or("");
  return out;
}

Status RemoveWorktree(const std::string& project, const std::string& path, const std::optional<std::string>& branch,
                      bool force) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto removed = RunGit(project, {"worktree", "remove", "--force", path});
    if (!removed.ok()) return removed.error();
    if (removed->exit_code != 0) {
      fs::remove_all(path, ec);  // not a worktree git knows (any more): the directory is ours
    }
  }
  (void)RunGit(project, {"worktree", "prune"});
  if (!branch) return OkStatus();
  auto deleted = RunGit(project, {"branch", force ? "-D" : "-d", *branch});
  if (!deleted.ok()) return deleted.error();
  if (deleted->exit_code != 0) {
    std::string words = Trim(deleted->output);
    if (words.find("not found") != std::string::npos) return OkStatus();
    return Error::Conflict("branch_not_merged", "kept branch " + *branch + " (" + words +
                                                    "); merge it, or remove it with --force");
  }
  return OkStatus();
}

}  // namespace agentmux
