#include "workflow/git_snapshot.h"

#include <unistd.h>

#include <filesystem>

#include "base/ids.h"
#include "proc/run_command.h"

namespace agentmux {
namespace {

constexpr int64_t kGitTimeoutMs = 60'000;

Result<std::string> Git(const std::string& project, std::vector<std::string> args,
                        const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), {"git", "-c", "core.quotepath=off"});
  auto r = RunCommand(args, project, env, kGitTimeoutMs);
  if (!r.ok()) {
    if (r.error().code == "binary_not_found")
      return Error::Unavailable("not_a_git_repository", "git is not installed (apt-get install git)");
    return r.error();
  }
  if (r->timed_out) return Error::Internal("git " + args[3] + " took longer than 60 s");
  if (r->exit_code != 0) {
    std::string out = r->output;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return Error::Internal("git " + args[3] + " failed: " + out);
  }
  return r->output;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> SnapshotTree(const std::string& project) {
  auto git_dir = Git(project, {"rev-parse", "--absolute-git-dir"});
  if (!git_dir.ok())
    return Error::Unavailable("not_a_git_repository", project + " is not in a git repository");
  auto index = Git(project, {"rev-parse", "--path-format=absolute", "--git-path", "index"});
  if (!index.ok()) return index.error();
  // A private index: a copy of the user's (its stat cache makes `add -A` fast), never theirs.
  std::string mine = Trim(*git_dir) + "/agentmux-index-" + RandomHex(8);
  std::error_code ec;
  if (std::filesystem::exists(Trim(*index), ec))
    std::filesystem::copy_file(Trim(*index), mine, std::filesystem::copy_options::overwrite_existing, ec);
  std::vector<std::string> env = {"GIT_INDEX_FILE=" + mine};
  auto added = Git(project, {"add", "-A", "--", ":/"}, env);
  Result<std::string> tree = added.ok() ? Git(project, {"write-tree"}, env) : Result<std::string>(added.error());
  std::filesystem::remove(mine, ec);
  if (!tree.ok()) return tree.error();
  return Trim(*tree);
}

Result<std::string> DiffStat(const std::string& project, const std::string& from, const std::string& to) {
  if (from == to) return std::string();
  return Git(project, {"diff", "--stat=120", from, to});
}

}  // namespace agentmux
