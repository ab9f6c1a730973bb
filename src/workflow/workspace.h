// Project workspace detection (issue 17 part 2): given a file or directory, what project holds it —
// the VCS root and kind, the ecosystem marker files, the package manager, a monorepo layout, the
// nearest package, a likely test command and the LeanSpec specs directory. Sessions and plans use it
// to show what an agent works on and to propose defaults (a plan's verify command).
//
// Reads only: a stat of `.git` in each directory from `path` up to `/`; the immediate entries of the
// directories from `path` up to the project root; and a few small files in the package and root
// directories (package.json, Cargo.toml, pyproject.toml, go.mod, go.work, pnpm-workspace.yaml,
// composer.json, pubspec.yaml, Makefile, setup.cfg, tox.ini, `.git`, HEAD; up to 1 MiB each). It never
// walks a tree, runs no process (not even git) and uses no network: well under 50 ms on a large
// repository.
//
// The description as JSON (ToJson; keys snake_case, absent values null, arrays sorted):
//   { "path": "/abs/dir",                  the input (a file: its directory), symlinks resolved
//     "root": "/abs/root",                 see WorkspaceInfo::root
//     "vcs": { "type": "git", "root": "/abs/root", "kind": "repository" | "worktree" | "submodule",
//              "git_dir": "/abs/root/.git", "branch": "main" | null } | null,
//     "markers": ["Cargo.toml", "Makefile"],   file names at the package dir and the root
//     "ecosystems": ["make", "rust"],
//     "package_manager": "cargo" | null,
//     "monorepo": { "type": "npm-workspaces" | "yarn-workspaces" | "pnpm-workspace" |
//                           "cargo-workspace" | "go-work",
//                   "root": "/abs/root", "patterns": ["packages/*"] } | null,
//     "package": { "dir": "/abs/root/packages/app", "name": "@acme/app" } | null,
//     "test_command": "pnpm test" | null,
//     "specs": { "dir": "/abs/root/specs", "count": 3 } | null,
//     "inside_dependency": false,
//     "dependency_dir": "/abs/root/node_modules/foo" | null }
//
// Errors: kNotFound "no_such_directory" when `path` is empty or does not exist. Nothing else fails:
// unreadable or malformed files count as absent.
//
// Pure functions of the file system's state, thread-safe (reads $HOME, see WorkspaceInfo::root). The
// same tree gives the same description; nothing time-dependent is in it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace agentmux {

// The git repository holding the project, found by reading files (no git process).
struct VcsInfo {
  std::string type = "git";
  std::string root;     // the directory holding `.git`
  // "repository": `.git` is a directory (or a gitdir file pointing elsewhere, --separate-git-dir);
  // "worktree": a `.git` file whose gitdir has a /worktrees/ segment; "submodule": one with /modules/.
  std::string kind;
  std::string git_dir;  // absolute; a relative gitdir is resolved against the `.git` file's directory
  std::optional<std::string> branch;  // HEAD's `ref: refs/heads/NAME`; nullopt when detached or unreadable
};

// A workspace declaration: package.json "workspaces" (an array: npm-workspaces, or yarn-workspaces
// when the directory has yarn.lock or "packageManager": "yarn@…"; the object form {"packages": […]}
// is yarn's), pnpm-workspace.yaml `packages:`, Cargo.toml `[workspace] members`, go.work `use`.
struct MonorepoInfo {
  std::string type;
  std::string root;                   // the directory holding the declaration
  std::vector<std::string> patterns;  // as written, sorted and de-duplicated
};

struct PackageInfo {
  std::string dir;
  // package.json "name", Cargo.toml [package] name, pyproject.toml [project] or [tool.poetry] name,
  // go.mod `module`, composer.json "name", pubspec.yaml `name`; else the directory's basename.
  std::string name;
};

// A LeanSpec specs directory: `count` entries named NNN-slug (a directory holding README.md, or a
// file NNN-slug.md).
struct SpecsInfo {
  std::string dir;
  int64_t count = 0;
};

struct WorkspaceInfo {
  std::string path;  // canonical; a file's directory
  // The VCS root when there is one. Otherwise the nearest monorepo root, else the package dir, else
  // `path`. Without a VCS root the search for markers stops below $HOME and below `/` (a stray
  // ~/package.json must not make the home directory a project), unless `path` itself is there.
  std::string root;
  std::optional<VcsInfo> vcs;
  // Ecosystem marker file names found in the package dir and the root (package.json,
  // pyproject.toml, setup.py, requirements.txt, Pipfile, Cargo.toml, go.mod, go.work, pom.xml,
  // build.gradle(.kts), CMakeLists.txt, meson.build, Makefile, Gemfile, composer.json, *.csproj,
  // *.fsproj, *.sln, mix.exs, pubspec.yaml, deno.json(c), Package.swift, flake.nix).
  std::vector<std::string> markers;
  // From the markers: node, python, rust, go, java, cmake, meson, make, ruby, php, dotnet, elixir,
  // dart, deno, swift, nix.
  std::vector<std::string> ecosystems;
  // In the package dir, then in the root: package.json "packageManager" ("pnpm@9.1.0" → "pnpm"),
  // else the first lock file (package-lock.json → npm, pnpm-lock.yaml → pnpm, yarn.lock → yarn,
  // bun.lock(b) → bun, poetry.lock → poetry, uv.lock → uv, Pipfile.lock → pipenv, Cargo.lock →
  // cargo, go.sum → go, Gemfile.lock → bundler, composer.lock → composer, mix.lock → mix,
  // pubspec.lock → pub).
  std::optional<std::string> package_manager;
  std::optional<MonorepoInfo> monorepo;  // the nearest declaration from `path` up to the root
  // The nearest directory from `path` up to the root holding a marker. A directory whose only
  // markers are nested build files (CMakeLists.txt, meson.build, Makefile) gives way to its parent
  // while the parent has the same file: src/foo/CMakeLists.txt belongs to the top-level build.
  std::optional<PackageInfo> package;
  // A likely command, run in the package dir (or the root when only the root suggests one):
  // "npm test" (package.json scripts.test), "cargo test", "go test ./...", "pytest", "mvn test", …
  std::optional<std::string> test_command;
  std::optional<SpecsInfo> specs;  // the package dir's specs/, else the root's
  // `path` lies inside node_modules, .venv or site-packages, or inside a `vendor` or `target`
  // directory whose parent has a marker (a Go/PHP/Ruby vendor dir, a Cargo target dir: a plain
  // directory of that name is not a dependency). Detection then describes the project enclosing the
  // outermost such directory; `dependency_dir` is the dependency itself: the entry inside the
  // innermost such directory (node_modules/@scope/name for scoped packages).
  bool inside_dependency = false;
  std::optional<std::string> dependency_dir;
};

// Describes the project containing `path` (a file or a directory; relative to the process's working
// directory). Errors: kNotFound "no_such_directory".
Result<WorkspaceInfo> DetectWorkspace(const std::string& path);

nlohmann::json ToJson(const WorkspaceInfo& w);

// Building blocks of DetectWorkspace, shared by workspace.cc (the walk over directories) and
// workspace_markers.cc (what one directory says). Not an API: use DetectWorkspace.
namespace workspace_internal {

// One directory's immediate entries by name (symlinks followed; others, e.g. dangling links, left
// out).
struct Dir {
  std::filesystem::path path;
  std::set<std::string> files;
  std::set<std::string> dirs;
  bool HasFile(std::string_view name) const { return files.count(std::string(name)) > 0; }
  bool HasDir(std::string_view name) const { return dirs.count(std::string(name)) > 0; }
  std::filesystem::path operator/(std::string_view name) const { return path / name; }
};

// The entries the rules look at (markers, lock files, tests/, …), or all with `everything`; empty
// when unreadable.
Dir List(const std::filesystem::path& path, bool everything = false);
std::vector<std::string> MarkersIn(const Dir& d);
std::string EcosystemOf(std::string_view marker);
// True when every marker is a build file that nests (CMakeLists.txt, meson.build, Makefile).
bool OnlyNestedBuildFiles(const std::vector<std::string>& markers);
std::vector<std::string> SortedUnique(std::vector<std::string> v);
std::optional<std::string> PackageManagerField(const Dir& d);
std::optional<std::string> LockFileManager(const Dir& d);
std::optional<MonorepoInfo> MonorepoAt(const Dir& d);
std::string PackageName(const Dir& d);
std::optional<std::string> TestCommandIn(const Dir& d, const std::optional<std::string>& manager);
std::optional<SpecsInfo> SpecsAt(const Dir& d);
std::optional<VcsInfo> GitAt(const std::filesystem::path& dir);  // `dir`/.git, file or directory

}  // namespace workspace_internal

}  // namespace agentmux
