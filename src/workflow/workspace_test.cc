#include "workflow/workspace.h"

#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <utility>

namespace agentmux {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Each test builds its trees in a fresh directory under /tmp (no markers or .git above it there),
// removed afterwards.
class Workspace : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agentmux-workspace-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    top_ = fs::canonical(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(top_, ec);
  }

  // Creates `rel` under the temp directory: a directory when it ends with '/', else a file holding
  // `text` (parents created).
  void Put(const std::string& rel, const std::string& text = "") {
    fs::path p = top_ / rel;
    if (!rel.empty() && rel.back() == '/') {
      fs::create_directories(p);
      return;
    }
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void Put(std::initializer_list<std::pair<std::string, std::string>> files) {
    for (const auto& [rel, text] : files) Put(rel, text);
  }
  std::string P(const std::string& rel = "") const { return rel.empty() ? top_.string() : (top_ / rel).string(); }

  // The description of `rel` as JSON; fails the test on an error.
  json Detect(const std::string& rel) {
    auto w = DetectWorkspace(P(rel));
    EXPECT_TRUE(w.ok()) << rel << ": " << w.error().message;
    return w.ok() ? ToJson(*w) : json();
  }

  fs::path top_;
};

struct MarkerCase {
  const char* file;     // the marker, written into an otherwise empty directory
  const char* content;
  const char* extra;    // another file or directory ("tests/") or ""
  const char* ecosystem;
  const char* test_command;  // nullptr: none
  const char* name;          // the package's name; nullptr: the directory's name
};

TEST_F(Workspace, EveryMarkerNamesItsEcosystemAndTestCommand) {
  const MarkerCase cases[] = {
      {"package.json", R"({"name":"web","scripts":{"test":"jest"}})", "", "node", "npm test", "web"},
      {"pyproject.toml", "[build-system]\nname = \"no\"\n[project]\nname = \"pyapp\" # ok\n", "tests/", "python", "pytest", "pyapp"},
      {"pyproject.toml", "[tool.poetry]\nname = 'poet'\n[tool.pytest.ini_options]\n", "", "python", "pytest", "poet"},
      {"setup.py", "", "pytest.ini", "python", "pytest", nullptr},
      {"requirements.txt", "flask\n", "", "python", nullptr, nullptr},
      {"Cargo.toml", "[package]\nname = \"crab\"\nversion = \"0.1.0\"\n", "", "rust", "cargo test", "crab"},
      {"go.mod", "// comment\nmodule example.com/gopher\n\ngo 1.22\n", "", "go", "go test ./...", "example.com/gopher"},
      {"pom.xml", "<project/>", "", "java", "mvn test", nullptr},
      {"build.gradle", "", "gradlew", "java", "./gradlew test", nullptr},
      {"build.gradle.kts", "", "", "java", "gradle test", nullptr},
      {"CMakeLists.txt", "project(x)\n", "", "cmake", "ctest --test-dir build", nullptr},
      {"meson.build", "project('x')\n", "", "meson", "meson test -C build", nullptr},
      {"Makefile", "all:\n\tcc x.c\ncheck test: all\n\t./run\n", "", "make", "make test", nullptr},
      {"Makefile", "all:\n\tcc x.c\n.PHONY: test\nTEST := test:x\n", "", "make", nullptr, nullptr},
      {"Gemfile", "source 'https://rubygems.org'\n", "", "ruby", "bundle exec rake test", nullptr},
      {"Gemfile", "", "spec/", "ruby", "bundle exec rspec", nullptr},
      {"composer.json", R"({"name":"acme/php","scripts":{"test":"phpunit"}})", "", "php", "composer test", "acme/php"},
      {"composer.json", "{}", "", "php", "vendor/bin/phpunit", nullptr},
      {"App.csproj", "<Project/>", "", "dotnet", "dotnet test", nullptr},
      {"All.sln", "", "", "dotnet", "dotnet test", nullptr},
      {"mix.exs", "", "", "elixir", "mix test", nullptr},
      {"pubspec.yaml", "name: darty\n", "", "dart", "dart test", "darty"},
      {"deno.json", "{}", "", "deno", "deno test", nullptr},
      {"deno.jsonc", "// c\n{}", "", "deno", "deno test", nullptr},
      {"Package.swift", "", "", "swift", "swift test", nullptr},
      {"flake.nix", "{}", "", "nix", nullptr, nullptr},
  };
  int i = 0;
  for (const auto& c : cases) {
    std::string dir = "case" + std::to_string(i++);
    SCOPED_TRACE(std::string(c.file) + " in " + dir);
    Put(dir + "/" + c.file, c.content);
    if (*c.extra) Put(dir + "/" + c.extra);
    json w = Detect(dir);
    EXPECT_EQ(w["markers"], json::array({c.file}));
    EXPECT_EQ(w["ecosystems"], json::array({c.ecosystem}));
    EXPECT_EQ(w["test_command"], c.test_command ? json(c.test_command) : json());
    EXPECT_EQ(w["package"], json({{"dir", P(dir)}, {"name", c.name ? c.name : dir}}));
    EXPECT_EQ(w["root"], P(dir)) << "no VCS: the package is the root";
    EXPECT_EQ(w["vcs"], json());
  }
}

struct LockCase {
  std::vector<std::pair<std::string, std::string>> files;
  const char* manager;       // nullptr: none
  const char* test_command;  // nullptr: none
};

TEST_F(Workspace, LockFilesNameThePackageManager) {
  const std::string test_script = R"({"scripts":{"test":"vitest"}})";
  const LockCase cases[] = {
      {{{"package.json", test_script}, {"package-lock.json", "{}"}}, "npm", "npm test"},
      {{{"package.json", test_script}, {"pnpm-lock.yaml", ""}}, "pnpm", "pnpm test"},
      {{{"package.json", test_script}, {"yarn.lock", ""}}, "yarn", "yarn test"},
      {{{"package.json", test_script}, {"bun.lockb", ""}}, "bun", "bun test"},
      {{{"package.json", test_script}, {"bun.lock", ""}}, "bun", "bun test"},
      {{{"package.json", R"({"packageManager":"pnpm@9.1.0","scripts":{"test":"x"}})"}, {"package-lock.json", ""}},
       "pnpm", "pnpm test"},
      {{{"package.json", R"({"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}})"}}, nullptr, nullptr},
      {{{"pyproject.toml", ""}, {"poetry.lock", ""}, {"tests/", ""}}, "poetry", "poetry run pytest"},
      {{{"pyproject.toml", ""}, {"uv.lock", ""}, {"conftest.py", ""}}, "uv", "uv run pytest"},
      {{{"Pipfile", ""}, {"Pipfile.lock", ""}}, "pipenv", nullptr},
      {{{"Cargo.toml", ""}, {"Cargo.lock", ""}}, "cargo", "cargo test"},
      {{{"go.mod", "module m\n"}, {"go.sum", ""}}, "go", "go test ./..."},
      {{{"Gemfile", ""}, {"Gemfile.lock", ""}}, "bundler", "bundle exec rake test"},
      {{{"composer.json", "{}"}, {"composer.lock", ""}}, "composer", "vendor/bin/phpunit"},
      {{{"mix.exs", ""}, {"mix.lock", ""}}, "mix", "mix test"},
      {{{"pubspec.yaml", "name: d\n"}, {"pubspec.lock", ""}}, "pub", "dart test"},
      {{{"Cargo.toml", ""}}, nullptr, "cargo test"},
  };
  int i = 0;
  for (const auto& c : cases) {
    std::string dir = "lock" + std::to_string(i++);
    SCOPED_TRACE(dir + ": " + c.files[0].first + " + " + c.files.back().first);
    for (const auto& [rel, text] : c.files) Put(dir + "/" + rel, text);
    json w = Detect(dir);
    EXPECT_EQ(w["package_manager"], c.manager ? json(c.manager) : json());
    EXPECT_EQ(w["test_command"], c.test_command ? json(c.test_command) : json());
  }
}

TEST_F(Workspace, NestedMonorepoDescribesTheNearestPackage) {
  Put({{"repo/.git/HEAD", "ref: refs/heads/main\n"},
       {"repo/package.json", R"({"name":"acme","private":true,"workspaces":["packages/*","apps/*","packages/*"]})"},
       {"repo/package-lock.json", "{}"},
       {"repo/Makefile", "test:\n\tnpm test\n"},
       {"repo/packages/app/package.json", R"({"name":"@acme/app","scripts":{"test":"vitest run"}})"},
       {"repo/packages/app/src/", ""}});
  json w = Detect("repo/packages/app/src");
  EXPECT_EQ(w, json::parse(R"({
    "path": ")" + P("repo/packages/app/src") + R"(", "root": ")" + P("repo") + R"(",
    "vcs": {"type": "git", "root": ")" + P("repo") + R"(", "kind": "repository",
            "git_dir": ")" + P("repo/.git") + R"(", "branch": "main"},
    "markers": ["Makefile", "package.json"], "ecosystems": ["make", "node"], "package_manager": "npm",
    "monorepo": {"type": "npm-workspaces", "root": ")" + P("repo") + R"(", "patterns": ["apps/*", "packages/*"]},
    "package": {"dir": ")" + P("repo/packages/app") + R"(", "name": "@acme/app"},
    "test_command": "npm test", "specs": null, "inside_dependency": false, "dependency_dir": null})"))
      << w.dump(2);
  EXPECT_EQ(Detect("repo/packages/app/src").dump(), w.dump()) << "deterministic";
  EXPECT_EQ(Detect("repo")["package"], json({{"dir", P("repo")}, {"name", "acme"}}));
}

struct MonorepoCase {
  std::vector<std::pair<std::string, std::string>> files;
  const char* path;  // where detection starts, relative to the case directory
  json monorepo;     // with "root" relative to the case directory; null: none
  const char* package_name;
};

TEST_F(Workspace, WorkspaceDeclarationsMakeAMonorepo) {
  const MonorepoCase cases[] = {
      {{{"package.json", R"({"workspaces":["packages/*"]})"}, {"packages/a/package.json", R"({"name":"a"})"}},
       "packages/a", {{"type", "npm-workspaces"}, {"patterns", {"packages/*"}}}, "a"},
      {{{"package.json", R"({"workspaces":{"packages":["pkgs/*"],"nohoist":["**/x"]}})"}, {"pkgs/b/package.json", "{}"}},
       "pkgs/b", {{"type", "yarn-workspaces"}, {"patterns", {"pkgs/*"}}}, "b"},
      {{{"package.json", R"({"workspaces":["w/*"]})"}, {"yarn.lock", ""}}, "",
       {{"type", "yarn-workspaces"}, {"patterns", {"w/*"}}}, nullptr},
      {{{"package.json", "{}"}, {"pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n  - \"!**/test/**\"\n"},
        {"packages/c/package.json", R"({"name":"@s/c"})"}, {"packages/c/lib/", ""}},
       "packages/c/lib", {{"type", "pnpm-workspace"}, {"patterns", {"!**/test/**", "packages/*"}}}, "@s/c"},
      {{{"package.json", "{}"}, {"pnpm-workspace.yaml", "onlyBuiltDependencies:\n  - esbuild\n"}}, "", nullptr, nullptr},
      {{{"Cargo.toml", "[workspace]\nmembers = [\n  \"crates/a\", # core\n  \"crates/b\",\n]\nresolver = \"2\"\n"},
        {"crates/a/Cargo.toml", "[package]\nname = \"core-a\"\n[dependencies]\nname = \"not-this\"\n"}},
       "crates/a", {{"type", "cargo-workspace"}, {"patterns", {"crates/a", "crates/b"}}}, "core-a"},
      {{{"Cargo.toml", "[workspace]\nmembers = [\"x\"]\n"}}, "", {{"type", "cargo-workspace"}, {"patterns", {"x"}}}, nullptr},
      {{{"Cargo.toml", "[package]\nname = \"single\"\n"}}, "", nullptr, "single"},
      {{{"go.work", "go 1.22\n\nuse (\n\t./api\n\t\"./cli\" // the CLI\n)\nuse ./tools\n"},
        {"api/go.mod", "module example.com/api\n"}, {"api/internal/", ""}},
       "api/internal", {{"type", "go-work"}, {"patterns", {"./api", "./cli", "./tools"}}}, "example.com/api"},
  };
  int i = 0;
  for (const auto& c : cases) {
    std::string dir = "mono" + std::to_string(i++);
    SCOPED_TRACE(dir + ": " + c.files[0].second);
    for (const auto& [rel, text] : c.files) Put(dir + "/" + rel, text);
    std::string start = *c.path ? dir + "/" + c.path : dir;
    json w = Detect(start);
    json expected = c.monorepo;
    if (!expected.is_null()) expected["root"] = P(dir);
    EXPECT_EQ(w["monorepo"], expected);
    EXPECT_EQ(w["root"], P(dir)) << "no VCS: the monorepo root (or the package) is the root";
    std::string package_dir = fs::path(P(start)).parent_path().string();
    if (!*c.path) package_dir = P(dir);
    else if (fs::exists(P(start) + "/package.json") || fs::exists(P(start) + "/Cargo.toml")) package_dir = P(start);
    EXPECT_EQ(w["package"]["dir"], package_dir);
    EXPECT_EQ(w["package"]["name"], c.package_name ? c.package_name : fs::path(package_dir).filename().string());
  }
}

TEST_F(Workspace, GitKindsComeFromDotGit) {
  Put({{"main/.git/HEAD", "ref: refs/heads/trunk\n"},
       {"main/.git/worktrees/wt/HEAD", "ref: refs/heads/feature/x\n"},
       {"wt/.git", "gitdir: " + P("main/.git/worktrees/wt") + "\n"},
       {"far/.git", "gitdir: /x/.git/worktrees/wt"},
       {"main/.git/modules/sub/HEAD", "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a\n"},
       {"main/sub/.git", "gitdir: ../.git/modules/sub\n"},
       {"main/sub/src/", ""},
       {"odd/.git", "not a gitfile\n"}});
  json repo = Detect("main");
  EXPECT_EQ(repo["vcs"], json({{"type", "git"}, {"root", P("main")}, {"kind", "repository"},
                               {"git_dir", P("main/.git")}, {"branch", "trunk"}}));
  json wt = Detect("wt");
  EXPECT_EQ(wt["vcs"], json({{"type", "git"}, {"root", P("wt")}, {"kind", "worktree"},
                             {"git_dir", P("main/.git/worktrees/wt")}, {"branch", "feature/x"}}));
  json far = Detect("far");
  EXPECT_EQ(far["vcs"], json({{"type", "git"}, {"root", P("far")}, {"kind", "worktree"},
                              {"git_dir", "/x/.git/worktrees/wt"}, {"branch", nullptr}}))
      << "a gitdir that does not exist is still reported";
  json sub = Detect("main/sub/src");
  EXPECT_EQ(sub["vcs"], json({{"type", "git"}, {"root", P("main/sub")}, {"kind", "submodule"},
                              {"git_dir", P("main/.git/modules/sub")}, {"branch", nullptr}}))
      << "relative gitdir resolved against the .git file's directory; a detached HEAD has no branch";
  EXPECT_EQ(sub["root"], P("main/sub"));
  EXPECT_EQ(Detect("odd")["vcs"], json()) << "a .git file without gitdir: is not a repository";
}

TEST_F(Workspace, InsideADependencyDescribesTheEnclosingProject) {
  Put({{"proj/.git/HEAD", "ref: refs/heads/main\n"},
       {"proj/package.json", R"({"name":"proj","scripts":{"test":"jest"}})"},
       {"proj/yarn.lock", ""},
       {"proj/node_modules/foo/package.json", R"({"name":"foo","scripts":{"test":"mocha"}})"},
       {"proj/node_modules/foo/lib/", ""},
       {"proj/node_modules/@s/bar/node_modules/baz/package.json", R"({"name":"baz"})"},
       {"proj/node_modules/@s/bar/package.json", R"({"name":"@s/bar"})"},
       {"crate/Cargo.toml", "[package]\nname = \"crate\"\n"},
       {"crate/target/debug/build/", ""},
       {"work/target/app/package.json", R"({"name":"app"})"},
       {"py/pyproject.toml", "[project]\nname = \"py\"\n"},
       {"py/.venv/lib/python3.12/site-packages/requests/adapters/", ""}});
  json w = Detect("proj/node_modules/foo/lib");
  EXPECT_EQ(w["path"], P("proj/node_modules/foo/lib"));
  EXPECT_EQ(w["package"], json({{"dir", P("proj")}, {"name", "proj"}}));
  EXPECT_EQ(w["root"], P("proj"));
  EXPECT_EQ(w["test_command"], "yarn test");
  EXPECT_EQ(w["inside_dependency"], true);
  EXPECT_EQ(w["dependency_dir"], P("proj/node_modules/foo"));

  json nested = Detect("proj/node_modules/@s/bar/node_modules/baz");
  EXPECT_EQ(nested["package"]["dir"], P("proj")) << "past the outermost node_modules";
  EXPECT_EQ(nested["dependency_dir"], P("proj/node_modules/@s/bar/node_modules/baz"));
  EXPECT_EQ(Detect("proj/node_modules/@s/bar")["dependency_dir"], P("proj/node_modules/@s/bar"));

  json rust = Detect("crate/target/debug/build");
  EXPECT_EQ(rust["inside_dependency"], true);
  EXPECT_EQ(rust["dependency_dir"], P("crate/target"));
  EXPECT_EQ(rust["package"]["name"], "crate");

  json plain = Detect("work/target/app");
  EXPECT_EQ(plain["inside_dependency"], false) << "a `target` directory of a non-project is just a directory";
  EXPECT_EQ(plain["package"]["name"], "app");
  EXPECT_EQ(plain["dependency_dir"], json());

  json venv = Detect("py/.venv/lib/python3.12/site-packages/requests/adapters");
  EXPECT_EQ(venv["package"]["name"], "py");
  EXPECT_EQ(venv["dependency_dir"], P("py/.venv/lib/python3.12/site-packages/requests"));
}

TEST_F(Workspace, NoMarkersIsItsOwnRoot) {
  Put("bare/notes.txt", "hi");
  json w = Detect("bare");
  EXPECT_EQ(w, json({{"path", P("bare")}, {"root", P("bare")}, {"vcs", nullptr}, {"markers", json::array()},
                     {"ecosystems", json::array()}, {"package_manager", nullptr}, {"monorepo", nullptr},
                     {"package", nullptr}, {"test_command", nullptr}, {"specs", nullptr},
                     {"inside_dependency", false}, {"dependency_dir", nullptr}}));
}

TEST_F(Workspace, MarkersAboveTheRepositoryDoNotCount) {
  Put({{"outer/package.json", R"({"name":"outer"})"}, {"outer/repo/.git/HEAD", "ref: refs/heads/main\n"}});
  json w = Detect("outer/repo");
  EXPECT_EQ(w["root"], P("outer/repo"));
  EXPECT_EQ(w["markers"], json::array());
  EXPECT_EQ(w["package"], json());
}

TEST_F(Workspace, TheHomeDirectoryIsNeverAGuessedRoot) {
  Put({{"home/package.json", "{}"}, {"home/proj/src/", ""}});
  const char* old = getenv("HOME");
  std::string saved = old ? old : "";
  setenv("HOME", P("home").c_str(), 1);
  json w = Detect("home/proj/src");
  json at_home = Detect("home");
  if (old) setenv("HOME", saved.c_str(), 1);
  else unsetenv("HOME");
  EXPECT_EQ(w["root"], P("home/proj/src")) << "a stray ~/package.json is not the project";
  EXPECT_EQ(w["package"], json());
  EXPECT_EQ(at_home["package"]["dir"], P("home")) << "unless the path is the home directory itself";
}

TEST_F(Workspace, NestedBuildFilesBelongToTheTopLevelBuild) {
  Put({{"cm/.git/HEAD", ""}, {"cm/CMakeLists.txt", ""}, {"cm/src/CMakeLists.txt", ""},
       {"cm/src/net/CMakeLists.txt", ""}, {"cm/docs/Makefile", "html:\n"}});
  json w = Detect("cm/src/net");
  EXPECT_EQ(w["package"]["dir"], P("cm"));
  EXPECT_EQ(w["test_command"], "ctest --test-dir build");
  EXPECT_EQ(Detect("cm/docs")["package"]["dir"], P("cm/docs")) << "a different build file is its own";
}

TEST_F(Workspace, MissingPathIsAnError) {
  Put("file.txt", "x");
  for (const std::string& path : {P("nope"), P("nope/deeper"), P("file.txt/below"), std::string()}) {
    auto w = DetectWorkspace(path);
    ASSERT_FALSE(w.ok()) << path;
    EXPECT_EQ(w.error().code, "no_such_directory");
    EXPECT_EQ(w.error().kind, ErrorKind::kNotFound);
    EXPECT_NE(w.error().message.find(path.empty() ? "is empty" : "does not exist"), std::string::npos)
        << w.error().message;
  }
}

TEST_F(Workspace, AFileMeansItsDirectory) {
  Put({{"proj/Cargo.toml", "[package]\nname = \"p\"\n"}, {"proj/src/main.rs", "fn main() {}\n"}});
  json w = Detect("proj/src/main.rs");
  EXPECT_EQ(w["path"], P("proj/src"));
  EXPECT_EQ(w["package"], json({{"dir", P("proj")}, {"name", "p"}}));
}

TEST_F(Workspace, SpecsAreCounted) {
  Put({{"proj/.git/HEAD", "ref: refs/heads/main\n"},
       {"proj/specs/001-login/README.md", "# Login\n"},
       {"proj/specs/002-logout.md", "# Logout\n"},
       {"proj/specs/010-api/README.md", "# API\n"},
       {"proj/specs/README.md", "index\n"},
       {"proj/specs/004-draft/", ""},
       {"proj/specs/notes.md", ""},
       {"proj/specs/templates/README.md", ""},
       {"proj/specs/007-.md", ""}});
  json w = Detect("proj");
  EXPECT_EQ(w["specs"], json({{"dir", P("proj/specs")}, {"count", 3}}));
  Put("bare/specs/");
  EXPECT_EQ(Detect("bare")["specs"], json({{"dir", P("bare/specs")}, {"count", 0}}));
}

TEST_F(Workspace, SameTreeSameJson) {
  Put({{"r/.git/HEAD", "ref: refs/heads/main\n"}, {"r/go.work", "use ./a\n"}, {"r/a/go.mod", "module a\n"},
       {"r/a/go.sum", ""}, {"r/specs/001-x.md", ""}, {"r/B.sln", ""}, {"r/A.csproj", ""}});
  std::string first = Detect("r/a").dump();
  EXPECT_EQ(Detect("r/a").dump(), first);
  EXPECT_EQ(Detect("r/a")["markers"], json::array({"A.csproj", "B.sln", "go.mod", "go.work"})) << "sorted";
}

}  // namespace
}  // namespace agentmux
