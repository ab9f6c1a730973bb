#include "workflow/workspace.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace agentmux {
namespace fs = std::filesystem;
using namespace workspace_internal;  // NOLINT: this file's building blocks
namespace {

constexpr std::string_view kDependencyDirs[] = {"node_modules", "site-packages", ".venv"};
// Those whose entries are one package each (dependency_dir names the entry, not the directory).
constexpr std::string_view kPackageDirs[] = {"node_modules", "site-packages"};
// Only dependencies when their parent has a marker (see WorkspaceInfo::inside_dependency).
constexpr std::string_view kDependencyDirsOfProjects[] = {"vendor", "target"};

bool IsDependencyDir(std::string_view name, const fs::path& parent) {
  if (std::find(std::begin(kDependencyDirs), std::end(kDependencyDirs), name) != std::end(kDependencyDirs)) return true;
  if (std::find(std::begin(kDependencyDirsOfProjects), std::end(kDependencyDirsOfProjects), name) ==
      std::end(kDependencyDirsOfProjects))
    return false;
  return !MarkersIn(List(parent)).empty();
}

// Where detection starts: `dir`, or the parent of the outermost dependency directory holding it (a
// dependency's own manifest is not the project); sets inside_dependency and dependency_dir.
fs::path SkipDependencies(const fs::path& dir, WorkspaceInfo& w) {
  std::vector<fs::path> parts(dir.begin(), dir.end());  // "/", "home", …
  fs::path prefix = parts.empty() ? fs::path() : parts[0];
  std::optional<fs::path> outermost, package_entry;
  for (size_t i = 1; i < parts.size(); ++i) {
    fs::path parent = prefix;
    prefix /= parts[i];
    const std::string name = parts[i].string();
    if (!IsDependencyDir(name, parent)) continue;
    if (!outermost) outermost = prefix;
    if (std::find(std::begin(kPackageDirs), std::end(kPackageDirs), name) == std::end(kPackageDirs)) continue;
    package_entry = prefix;
    size_t next = i + 1;
    if (next < parts.size()) *package_entry /= parts[next];
    if (name == "node_modules" && next + 1 < parts.size() && parts[next].string().front() == '@')
      *package_entry /= parts[next + 1];
  }
  if (!outermost) return dir;
  w.inside_dependency = true;
  w.dependency_dir = (package_entry ? *package_entry : *outermost).string();
  return outermost->parent_path();
}

// $HOME, canonical; empty when unset or not absolute.
fs::path Home() {
  const char* env = std::getenv("HOME");
  if (!env || !*env) return {};
  std::error_code ec;
  fs::path home = fs::weakly_canonical(env, ec);
  if (ec || !home.is_absolute()) return {};
  return home.has_filename() ? home : home.parent_path();  // "/home/me/"
}

// `inner` is `outer` or below it.
bool Within(const fs::path& inner, const fs::path& outer) {
  return std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first == outer.end();
}

// The directories whose entries count, from `start` up: to the VCS root; without one, neither "/"
// nor $HOME and its ancestors (unless `start` is one of them). Never empty.
std::vector<Dir> CandidateDirs(const fs::path& start, const std::optional<VcsInfo>& vcs) {
  fs::path home = vcs ? fs::path() : Home();
  bool in_home = !home.empty() && Within(start, home);
  std::vector<Dir> dirs;
  for (fs::path a = start;; a = a.parent_path()) {
    if (!dirs.empty() && !vcs && (a == a.parent_path() || (in_home && Within(home, a)))) break;
    dirs.push_back(List(a));
    if (a == a.parent_path() || (vcs && a == fs::path(vcs->root))) break;
  }
  return dirs;
}

// The nearest directory with a marker; a directory with only nested build files gives way to its
// parent while the parent has the same file. nullptr when none.
const Dir* NearestPackage(const std::vector<Dir>& dirs) {
  for (size_t i = 0; i < dirs.size(); ++i) {
    std::vector<std::string> markers = MarkersIn(dirs[i]);
    if (markers.empty()) continue;
    if (!OnlyNestedBuildFiles(markers)) return &dirs[i];
    size_t top = i;
    while (top + 1 < dirs.size() && std::any_of(markers.begin(), markers.end(), [&](const std::string& m) {
             return dirs[top + 1].HasFile(m);
           }))
      ++top;
    return &dirs[top];
  }
  return nullptr;
}

}  // namespace

Result<WorkspaceInfo> DetectWorkspace(const std::string& path) {
  // ENOENT/ENOTDIR say "does not exist"; anything else (EACCES, ELOOP) says what the system said.
  auto missing = [&](const std::string& why) {
    return Error::NotFound("no_such_directory", "'" + path + "' " + why +
                                                    ": pass an existing file or directory inside the project");
  };
  if (path.empty()) return missing("is empty, which names no directory");
  std::error_code ec;
  fs::path dir = fs::canonical(path, ec);
  if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) return missing("does not exist");
  if (ec) return missing("cannot be resolved (" + ec.message() + ")");
  if (!fs::is_directory(dir, ec)) dir = dir.parent_path();

  WorkspaceInfo w;
  w.path = dir.string();
  const fs::path start = SkipDependencies(dir, w);
  for (fs::path a = start;; a = a.parent_path()) {
    if ((w.vcs = GitAt(a)) || a == a.parent_path()) break;
  }
  const std::vector<Dir> dirs = CandidateDirs(start, w.vcs);
  const Dir* package = NearestPackage(dirs);
  for (const auto& d : dirs) {
    if ((w.monorepo = MonorepoAt(d))) break;
  }

  const Dir* root = &dirs.front();
  if (w.vcs) root = &dirs.back();
  else if (w.monorepo)
    root = &*std::find_if(dirs.begin(), dirs.end(), [&](const Dir& d) { return d.path.string() == w.monorepo->root; });
  else if (package) root = package;
  w.root = root->path.string();
  const Dir& pkg = package ? *package : *root;

  std::vector<std::string> markers = MarkersIn(pkg);
  for (auto& m : MarkersIn(*root)) markers.push_back(std::move(m));
  w.markers = SortedUnique(std::move(markers));
  for (const auto& m : w.markers) w.ecosystems.push_back(EcosystemOf(m));
  w.ecosystems = SortedUnique(std::move(w.ecosystems));

  w.package_manager = PackageManagerField(pkg);
  if (!w.package_manager) w.package_manager = LockFileManager(pkg);
  if (!w.package_manager) w.package_manager = PackageManagerField(*root);
  if (!w.package_manager) w.package_manager = LockFileManager(*root);

  if (package) w.package = PackageInfo{package->path.string(), PackageName(*package)};
  w.test_command = TestCommandIn(pkg, w.package_manager);
  if (!w.test_command && &pkg != root) w.test_command = TestCommandIn(*root, w.package_manager);
  w.specs = SpecsAt(pkg);
  if (!w.specs && &pkg != root) w.specs = SpecsAt(*root);
  return w;
}

nlohmann::json ToJson(const WorkspaceInfo& w) {
  using nlohmann::json;
  auto opt = [](const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); };
  json out = {{"path", w.path},
              {"root", w.root},
              {"vcs", nullptr},
              {"markers", w.markers},
              {"ecosystems", w.ecosystems},
              {"package_manager", opt(w.package_manager)},
              {"monorepo", nullptr},
              {"package", nullptr},
              {"test_command", opt(w.test_command)},
              {"specs", nullptr},
              {"inside_dependency", w.inside_dependency},
              {"dependency_dir", opt(w.dependency_dir)}};
  if (w.vcs)
    out["vcs"] = {{"type", w.vcs->type}, {"root", w.vcs->root}, {"kind", w.vcs->kind},
                  {"git_dir", w.vcs->git_dir}, {"branch", opt(w.vcs->branch)}};
  if (w.monorepo) out["monorepo"] = {{"type", w.monorepo->type}, {"root", w.monorepo->root}, {"patterns", w.monorepo->patterns}};
  if (w.package) out["package"] = {{"dir", w.package->dir}, {"name", w.package->name}};
  if (w.specs) out["specs"] = {{"dir", w.specs->dir}, {"count", w.specs->count}};
  return out;
}

}  // namespace agentmux
