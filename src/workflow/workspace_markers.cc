// What one directory says about its project: marker files, lock files, manifests (names, workspace
// declarations, test scripts), specs/ and .git. The walk over directories is in workspace.cc.
#include "workflow/workspace.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <utility>

namespace agentmux {
namespace workspace_internal {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

// Ecosystem marker files and what they mean. *.csproj, *.fsproj and *.sln are matched by suffix.
constexpr std::pair<std::string_view, std::string_view> kMarkers[] = {
    {"package.json", "node"},     {"pyproject.toml", "python"},  {"setup.py", "python"},
    {"requirements.txt", "python"}, {"Pipfile", "python"},      {"Cargo.toml", "rust"},
    {"go.mod", "go"},             {"go.work", "go"},             {"pom.xml", "java"},
    {"build.gradle", "java"},     {"build.gradle.kts", "java"},  {"CMakeLists.txt", "cmake"},
    {"meson.build", "meson"},     {"Makefile", "make"},          {"Gemfile", "ruby"},
    {"composer.json", "php"},     {"mix.exs", "elixir"},         {"pubspec.yaml", "dart"},
    {"deno.json", "deno"},        {"deno.jsonc", "deno"},        {"Package.swift", "swift"},
    {"flake.nix", "nix"},
};
constexpr std::string_view kDotnetSuffixes[] = {".csproj", ".fsproj", ".sln"};
// Build files that nest (a subdirectory's file is part of its parent's build, not a package).
constexpr std::string_view kNestedBuildFiles[] = {"CMakeLists.txt", "meson.build", "Makefile"};

// In order: the first one found in a directory names its package manager.
constexpr std::pair<std::string_view, std::string_view> kLockFiles[] = {
    {"package-lock.json", "npm"}, {"npm-shrinkwrap.json", "npm"}, {"pnpm-lock.yaml", "pnpm"},
    {"yarn.lock", "yarn"},        {"bun.lockb", "bun"},           {"bun.lock", "bun"},
    {"poetry.lock", "poetry"},    {"uv.lock", "uv"},              {"Pipfile.lock", "pipenv"},
    {"Cargo.lock", "cargo"},      {"go.sum", "go"},               {"Gemfile.lock", "bundler"},
    {"composer.lock", "composer"}, {"mix.lock", "mix"},           {"pubspec.lock", "pub"},
};
// The other entries some rule asks a Dir about (HasFile/HasDir): with the markers and lock files,
// all that List keeps by default, so a directory of 100k entries costs neither set insertions nor a
// stat of each symlink.
constexpr std::string_view kOtherNames[] = {"gradlew", "mvnw",  "pytest.ini", "conftest.py", "setup.cfg", "tox.ini",
                                            "pnpm-workspace.yaml", "tests", "test", "spec", "specs"};

// What `npm init` writes: not a test script.
constexpr std::string_view kNpmPlaceholderTest = "echo \"Error: no test specified\" && exit 1";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string_view FirstLine(std::string_view text) { return Trim(text.substr(0, text.find('\n'))); }

// The first kMaxFileBytes of a file; "" when unreadable.
std::string ReadSmall(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string out;
  char buf[16384];
  while (in && out.size() < kMaxFileBytes) {
    in.read(buf, sizeof buf);
    if (in.gcount() <= 0) break;
    out.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (out.size() > kMaxFileBytes) out.resize(kMaxFileBytes);
  return out;
}

nlohmann::json ReadJson(const fs::path& p) {
  nlohmann::json j = nlohmann::json::parse(ReadSmall(p), nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

std::optional<std::string> JsonText(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return std::nullopt;
  return it->get<std::string>();
}

// TOML by line scan, enough for names and lists of strings in well-formed manifests: `#` outside a
// string starts a comment; a header `[a.b]` (or `[[a.b]]`) opens table "a.b".
std::string_view StripTomlComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

// Every quoted string in `s`, in order.
std::vector<std::string> QuotedStrings(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '"' && s[i] != '\'') continue;
    size_t end = s.find(s[i], i + 1);
    if (end == std::string_view::npos) break;
    out.emplace_back(s.substr(i + 1, end - i - 1));
    i = end;
  }
  return out;
}

// The raw value of `key = …` in one of `tables`; a value opening `[` runs to its closing `]`,
// across lines.
std::optional<std::string> TomlValue(std::string_view text, std::initializer_list<std::string_view> tables,
                                     std::string_view key) {
  std::string table;
  std::optional<std::string> value;  // being collected across lines
  int depth = 0;
  for (std::string_view raw : Lines(text)) {
    std::string_view line = Trim(StripTomlComment(raw));
    if (value) {
      value->append(" ").append(line);
      depth += static_cast<int>(std::count(line.begin(), line.end(), '[') - std::count(line.begin(), line.end(), ']'));
      if (depth <= 0) return value;
      continue;
    }
    if (!line.empty() && line.front() == '[') {
      std::string_view name = line;
      while (!name.empty() && name.front() == '[') name.remove_prefix(1);
      while (!name.empty() && name.back() == ']') name.remove_suffix(1);
      table = std::string(Trim(name));
      continue;
    }
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) continue;
    if (line.substr(0, key.size()) != key) continue;
    std::string_view rest = Trim(line.substr(key.size()));
    if (rest.empty() || rest.front() != '=') continue;
    rest = Trim(rest.substr(1));
    if (rest.empty() || rest.front() != '[') return std::string(rest);
    value = std::string(rest);
    depth = static_cast<int>(std::count(rest.begin(), rest.end(), '[') - std::count(rest.begin(), rest.end(), ']'));
    if (depth <= 0) return value;
  }
  return std::nullopt;  // an unclosed list is malformed: absent
}

std::optional<std::string> TomlString(std::string_view text, std::initializer_list<std::string_view> tables,
                                      std::string_view key) {
  auto v = TomlValue(text, tables, key);
  if (!v) return std::nullopt;
  auto strings = QuotedStrings(*v);
  if (strings.empty() || strings[0].empty()) return std::nullopt;
  return strings[0];
}

std::string Unquote(std::string_view s) {
  s = Trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '`') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return std::string(s);
}

// go.mod's `module` path.
std::optional<std::string> GoModule(std::string_view text) {
  for (std::string_view raw : Lines(text)) {
    std::string_view line = Trim(raw.substr(0, raw.find("//")));
    if (line.substr(0, 7) == "module " || line.substr(0, 7) == "module\t") {
      std::string name = Unquote(line.substr(7));
      if (!name.empty()) return name;
    }
  }
  return std::nullopt;
}

// go.work's `use` directives: `use ./a` and `use ( ./a \n ./b )`.
std::vector<std::string> GoWorkUses(std::string_view text) {
  std::vector<std::string> out;
  bool in_block = false;
  for (std::string_view raw : Lines(text)) {
    std::string_view line = Trim(raw.substr(0, raw.find("//")));
    if (in_block) {
      if (line.substr(0, 1) == ")") in_block = false;
      else if (!line.empty()) out.push_back(Unquote(line));
      continue;
    }
    if (line.substr(0, 3) != "use" || line.size() == 3 || !(std::isspace(static_cast<unsigned char>(line[3])) || line[3] == '('))
      continue;
    std::string_view rest = Trim(line.substr(3));
    if (rest.substr(0, 1) == "(") {
      rest = Trim(rest.substr(1));
      bool closes = !rest.empty() && rest.back() == ')';
      if (closes) rest = Trim(rest.substr(0, rest.size() - 1));
      if (!rest.empty()) out.push_back(Unquote(rest));
      in_block = !closes;
    } else if (!rest.empty()) {
      out.push_back(Unquote(rest));
    }
  }
  return out;
}

// A `test:` rule (alone or among several targets) in a Makefile; not `test := …` nor `.PHONY: test`.
bool MakefileHasTestTarget(std::string_view text) {
  for (std::string_view line : Lines(text)) {
    if (line.empty() || line.front() == '\t' || line.front() == '#' || line.front() == '.') continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.substr(colon + 1, 1) == "=") continue;
    std::string_view targets = line.substr(0, colon);
    if (targets.find('=') != std::string_view::npos) continue;  // a variable, e.g. `X = a:b`
    while (!targets.empty()) {
      targets = Trim(targets);
      size_t space = targets.find_first_of(" \t");
      if (targets.substr(0, space) == "test") return true;
      if (space == std::string_view::npos) break;
      targets.remove_prefix(space);
    }
  }
  return false;
}

bool UsesPytest(const Dir& d) {
  if (d.HasDir("tests") || d.HasDir("test") || d.HasFile("pytest.ini") || d.HasFile("conftest.py")) return true;
  if (d.HasFile("pyproject.toml") && ReadSmall(d / "pyproject.toml").find("[tool.pytest") != std::string::npos)
    return true;
  if (d.HasFile("setup.cfg") && ReadSmall(d / "setup.cfg").find("[tool:pytest]") != std::string::npos) return true;
  return d.HasFile("tox.ini") && ReadSmall(d / "tox.ini").find("[pytest]") != std::string::npos;
}

// "012-login" (digits, '-', something).
bool IsSpecName(std::string_view name) {
  size_t n = 0;
  while (n < name.size() && std::isdigit(static_cast<unsigned char>(name[n]))) ++n;
  return n > 0 && n + 1 < name.size() && name[n] == '-';
}

bool IsDotnetProject(std::string_view name) {
  return std::any_of(std::begin(kDotnetSuffixes), std::end(kDotnetSuffixes),
                     [&](std::string_view suffix) { return name.size() > suffix.size() && EndsWith(name, suffix); });
}

bool LookedAt(const std::string& name) {
  static const std::set<std::string_view> names = [] {
    std::set<std::string_view> out(std::begin(kOtherNames), std::end(kOtherNames));
    for (const auto& marker : kMarkers) out.insert(marker.first);
    for (const auto& lock : kLockFiles) out.insert(lock.first);
    return out;
  }();
  return names.count(name) > 0 || IsDotnetProject(name);
}

}  // namespace

Dir List(const fs::path& path, bool everything) {
  Dir d{path, {}, {}};
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!everything && !LookedAt(name)) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) d.dirs.insert(std::move(name));
    else if (it->is_regular_file(type_ec)) d.files.insert(std::move(name));
  }
  return d;
}

std::vector<std::string> MarkersIn(const Dir& d) {
  std::vector<std::string> out;
  for (const auto& [name, eco] : kMarkers)
    if (d.HasFile(name)) out.emplace_back(name);
  for (const auto& f : d.files)
    if (IsDotnetProject(f)) out.push_back(f);
  return out;
}

std::string EcosystemOf(std::string_view marker) {
  for (const auto& [name, eco] : kMarkers)
    if (marker == name) return std::string(eco);
  return "dotnet";  // the suffix matches
}

bool OnlyNestedBuildFiles(const std::vector<std::string>& markers) {
  return std::all_of(markers.begin(), markers.end(), [](const std::string& m) {
    return std::find(std::begin(kNestedBuildFiles), std::end(kNestedBuildFiles), m) != std::end(kNestedBuildFiles);
  });
}

std::vector<std::string> SortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// "pnpm@9.1.0+sha512.…" → "pnpm".
std::optional<std::string> PackageManagerField(const Dir& d) {
  if (!d.HasFile("package.json")) return std::nullopt;
  auto field = JsonText(ReadJson(d / "package.json"), "packageManager");
  if (!field) return std::nullopt;
  std::string name = field->substr(0, field->find('@'));
  if (name.empty()) return std::nullopt;
  return name;
}

std::optional<std::string> LockFileManager(const Dir& d) {
  for (const auto& [file, manager] : kLockFiles)
    if (d.HasFile(file)) return std::string(manager);
  return std::nullopt;
}

std::optional<MonorepoInfo> MonorepoAt(const Dir& d) {
  MonorepoInfo m;
  m.root = d.path.string();
  if (d.HasFile("pnpm-workspace.yaml")) {
    try {
      YAML::Node packages = YAML::Load(ReadSmall(d / "pnpm-workspace.yaml"))["packages"];
      if (packages.IsSequence()) {
        for (const auto& p : packages)
          if (p.IsScalar() && !p.Scalar().empty()) m.patterns.push_back(p.Scalar());
        m.type = "pnpm-workspace";
      }
    } catch (const YAML::Exception&) {
      // Malformed: no declaration (pnpm 10 also keeps plain settings in this file).
    }
  }
  if (m.type.empty() && d.HasFile("package.json")) {
    nlohmann::json pkg = ReadJson(d / "package.json");
    const nlohmann::json* list = nullptr;
    bool yarn_form = false;
    if (auto it = pkg.find("workspaces"); it != pkg.end()) {
      if (it->is_array()) {
        list = &*it;
      } else if (it->is_object() && it->contains("packages") && (*it)["packages"].is_array()) {
        list = &(*it)["packages"];
        yarn_form = true;
      }
    }
    if (list) {
      for (const auto& p : *list)
        if (p.is_string() && !p.get_ref<const std::string&>().empty()) m.patterns.push_back(p.get<std::string>());
      bool yarn = yarn_form || d.HasFile("yarn.lock") || JsonText(pkg, "packageManager").value_or("").rfind("yarn@", 0) == 0;
      m.type = yarn ? "yarn-workspaces" : "npm-workspaces";
    }
  }
  if (m.type.empty() && d.HasFile("Cargo.toml")) {
    if (auto members = TomlValue(ReadSmall(d / "Cargo.toml"), {"workspace"}, "members")) {
      m.patterns = QuotedStrings(*members);
      m.type = "cargo-workspace";
    }
  }
  if (m.type.empty() && d.HasFile("go.work")) {
    m.patterns = GoWorkUses(ReadSmall(d / "go.work"));
    m.type = "go-work";
  }
  if (m.type.empty()) return std::nullopt;
  m.patterns = SortedUnique(std::move(m.patterns));
  return m;
}

std::string PackageName(const Dir& d) {
  std::optional<std::string> name;
  if (d.HasFile("package.json")) name = JsonText(ReadJson(d / "package.json"), "name");
  if (!name && d.HasFile("Cargo.toml")) name = TomlString(ReadSmall(d / "Cargo.toml"), {"package"}, "name");
  if (!name && d.HasFile("pyproject.toml"))
    name = TomlString(ReadSmall(d / "pyproject.toml"), {"project", "tool.poetry"}, "name");
  if (!name && d.HasFile("go.mod")) name = GoModule(ReadSmall(d / "go.mod"));
  if (!name && d.HasFile("composer.json")) name = JsonText(ReadJson(d / "composer.json"), "name");
  if (!name && d.HasFile("pubspec.yaml")) {
    try {
      YAML::Node n = YAML::Load(ReadSmall(d / "pubspec.yaml"))["name"];
      if (n.IsScalar() && !n.Scalar().empty()) name = n.Scalar();
    } catch (const YAML::Exception&) {
    }
  }
  return name.value_or(d.path.filename().string());
}

std::optional<std::string> TestCommandIn(const Dir& d, const std::optional<std::string>& manager) {
  const std::string pm = manager.value_or("");
  if (d.HasFile("package.json")) {
    nlohmann::json pkg = ReadJson(d / "package.json");
    auto scripts = pkg.find("scripts");
    if (scripts != pkg.end() && scripts->is_object()) {
      auto test = JsonText(*scripts, "test");
      if (test && *test != kNpmPlaceholderTest) {
        bool node_pm = pm == "npm" || pm == "pnpm" || pm == "yarn" || pm == "bun";
        return (node_pm ? pm : "npm") + " test";
      }
    }
  }
  if (d.HasFile("Cargo.toml")) return "cargo test";
  if (d.HasFile("go.mod")) return "go test ./...";
  bool python = d.HasFile("pyproject.toml") || d.HasFile("setup.py") || d.HasFile("requirements.txt") || d.HasFile("Pipfile");
  if (python && UsesPytest(d)) {
    if (pm == "uv" || pm == "poetry" || pm == "pipenv") return pm + " run pytest";
    return "pytest";
  }
  if (d.HasFile("pom.xml")) return d.HasFile("mvnw") ? "./mvnw test" : "mvn test";
  if (d.HasFile("build.gradle") || d.HasFile("build.gradle.kts")) return d.HasFile("gradlew") ? "./gradlew test" : "gradle test";
  if (d.HasFile("deno.json") || d.HasFile("deno.jsonc")) return "deno test";
  if (d.HasFile("mix.exs")) return "mix test";
  if (d.HasFile("pubspec.yaml")) return "dart test";
  if (d.HasFile("Package.swift")) return "swift test";
  if (std::any_of(d.files.begin(), d.files.end(), [](const std::string& f) { return IsDotnetProject(f); }))
    return "dotnet test";
  if (d.HasFile("composer.json")) {
    nlohmann::json scripts = ReadJson(d / "composer.json")["scripts"];
    return scripts.is_object() && scripts.contains("test") ? "composer test" : "vendor/bin/phpunit";
  }
  if (d.HasFile("Gemfile")) return d.HasDir("spec") ? "bundle exec rspec" : "bundle exec rake test";
  if (d.HasFile("Makefile") && MakefileHasTestTarget(ReadSmall(d / "Makefile"))) return "make test";
  if (d.HasFile("CMakeLists.txt")) return "ctest --test-dir build";
  if (d.HasFile("meson.build")) return "meson test -C build";
  return std::nullopt;
}

std::optional<SpecsInfo> SpecsAt(const Dir& d) {
  if (!d.HasDir("specs")) return std::nullopt;
  Dir specs = List(d / "specs", /*everything=*/true);
  SpecsInfo out{specs.path.string(), 0};
  std::error_code ec;
  for (const auto& name : specs.dirs)
    if (IsSpecName(name) && fs::is_regular_file(specs / name / "README.md", ec)) ++out.count;
  for (const auto& name : specs.files)
    if (EndsWith(name, ".md") && IsSpecName(name.substr(0, name.size() - 3))) ++out.count;
  return out;
}

std::optional<VcsInfo> GitAt(const fs::path& dir) {
  std::error_code ec;
  fs::path dot_git = dir / ".git";
  fs::file_status st = fs::status(dot_git, ec);
  if (ec) return std::nullopt;
  VcsInfo v;
  v.root = dir.string();
  if (fs::is_directory(st)) {
    v.kind = "repository";
    v.git_dir = dot_git.string();
  } else if (fs::is_regular_file(st)) {
    std::string text = ReadSmall(dot_git);
    std::string_view first = FirstLine(text);
    if (first.substr(0, 7) != "gitdir:") return std::nullopt;  // not a gitfile: git would refuse it too
    fs::path git_dir(std::string(Trim(first.substr(7))));
    if (git_dir.empty()) return std::nullopt;
    if (git_dir.is_relative()) git_dir = dir / git_dir;
    fs::path resolved = fs::weakly_canonical(git_dir, ec);
    git_dir = ec ? git_dir.lexically_normal() : resolved;
    v.git_dir = git_dir.string();
    while (v.git_dir.size() > 1 && v.git_dir.back() == '/') v.git_dir.pop_back();
    // The last segment decides: a submodule of a worktree's repository is a submodule.
    size_t worktree = v.git_dir.rfind("/worktrees/"), module = v.git_dir.rfind("/modules/");
    if (module != std::string::npos && (worktree == std::string::npos || module > worktree)) v.kind = "submodule";
    else if (worktree != std::string::npos) v.kind = "worktree";
    else v.kind = "repository";
  } else {
    return std::nullopt;
  }
  std::string head = ReadSmall(fs::path(v.git_dir) / "HEAD");
  std::string_view ref = FirstLine(head);
  constexpr std::string_view kBranchRef = "ref: refs/heads/";
  if (ref.substr(0, kBranchRef.size()) == kBranchRef && ref.size() > kBranchRef.size())
    v.branch = std::string(ref.substr(kBranchRef.size()));
  return v;
}

}  // namespace workspace_internal
}  // namespace agentmux
