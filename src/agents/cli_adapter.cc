#include "agents/cli_adapter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "proc/process.h"

namespace agentmux {
namespace fs = std::filesystem;

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string HomeDir() { return Getenv("HOME"); }

bool Exists(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::exists(path, ec);
}

namespace {

// The version in the package.json of the npm package `binary` belongs to: npm links bin/x into
// node_modules/.bin; the real file sits at most a few levels below the package root.
std::optional<std::string> NpmPackageVersion(const std::string& binary) {
  std::error_code ec;
  fs::path real = fs::canonical(binary, ec);
  if (ec) return std::nullopt;
  fs::path dir = real.parent_path();
  for (int i = 0; i < 4 && !dir.empty() && dir != dir.root_path(); ++i, dir = dir.parent_path()) {
    fs::path pkg = dir / "package.json";
    if (!fs::exists(pkg, ec)) continue;
    std::ifstream in(pkg);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_object() && j.contains("version") && j["version"].is_string() && j.contains("bin"))
      return j["version"].get<std::string>();
    return std::nullopt;  // a package.json without bin: not the CLI's own package
  }
  return std::nullopt;
}

std::optional<std::string> RunVersion(const std::string& bin) {
  std::string cmd = "timeout 5 '" + bin + "' --version 2>/dev/null </dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return std::nullopt;
  std::array<char, 256> buf{};
  std::string line;
  if (std::fgets(buf.data(), buf.size(), p)) line = buf.data();
  int rc = ::pclose(p);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (rc != 0 || line.empty()) return std::nullopt;
  return line;
}

}  // namespace

std::optional<std::string> ProbeVersion(const std::string& binary) {
  struct Cached {
    int64_t mtime = 0;
    std::optional<std::string> version;
  };
  static std::mutex mu;
  static std::map<std::string, Cached> cache;
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) return std::nullopt;
  int64_t mtime = static_cast<int64_t>(st.st_mtime);
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(binary); it != cache.end() && it->second.mtime == mtime) return it->second.version;
  }
  auto version = NpmPackageVersion(binary);
  if (!version) version = RunVersion(binary);
  std::lock_guard lock(mu);
  cache[binary] = {mtime, version};
  return version;
}

std::optional<std::string> CliAdapter::FindBinary(const std::string& path_env) const {
  std::string var = "AGENTMUX_" + name_ + "_BIN";
  for (auto& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (std::string bin = Getenv(var.c_str()); !bin.empty()) return FindExecutable(bin, path_env);
  return FindExecutable(binary_, path_env);
}

Result<LaunchPlan> CliAdapter::Plan(const SessionRecord& s, const std::string& path_env) const {
  auto bin = FindBinary(path_env);
  if (!bin)
    return Error::Unavailable("binary_not_found",
                              display_ + " ('" + binary_ + "') was not found in PATH; " + install_hint_);
  if (s.mode == SessionMode::kAutonomous && s.context.empty())
    return Error::InvalidArgument("missing_prompt", "an autonomous " + name_ +
                                                        " session needs a prompt or at least one spec "
                                                        "(--prompt TEXT or --spec ID)");
  LaunchPlan plan;
  plan.argv = {*bin};
  plan.private_tmp = true;
  std::optional<std::string> resume;
  if (auto it = s.metadata.find("resume_conversation"); it != s.metadata.end()) resume = it->second;
  if (s.mode == SessionMode::kAutonomous) {
    plan.use_pty = false;
    BuildAutonomous(s, resume, plan);
  } else {
    plan.use_pty = true;
    BuildGuided(s, resume, plan);
  }
  // Extra arguments for the agent's CLI (`agentmux run --tool claude … -- --mcp-config F`): last.
  for (const auto& arg : AgentArgs(s)) plan.argv.push_back(arg);
  if (resume) plan.agent_session_id = resume;
  return plan;
}

ToolInfo CliAdapter::Inspect(const std::string& path_env) const {
  ToolInfo info;
  info.name = name_;
  info.install_hint = install_hint_;
  info.binary_path = FindBinary(path_env);
  if (!info.binary_path) {
    info.notes.push_back(binary_ + " not found in PATH: " + install_hint_);
    return info;
  }
  info.version = ProbeVersion(*info.binary_path);
  info.available = true;
  CheckEnvironment(info.notes);
  if (auto missing = MissingSetup()) {
    info.available = false;
    info.install_hint = *missing;
  }
  return info;
}

}  // namespace agentmux
