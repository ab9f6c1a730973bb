#include "proc/process_scan.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace agentmux {
namespace {

constexpr const char kKey[] = "AGENTMUX_SESSION_ID=";

}  // namespace

std::string SessionOfProcess(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return "";
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Entries are NUL-separated; the key starts the block or follows a NUL.
  size_t at = env.rfind(kKey, 0) == 0 ? 0 : env.find(std::string(1, '\0') + kKey);
  if (at == std::string::npos) return "";
  if (env[at] == '\0') ++at;
  size_t start = at + sizeof(kKey) - 1, end = env.find('\0', start);
  return env.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool ProcessBelongsTo(int pid, const std::string& id) { return !id.empty() && SessionOfProcess(pid) == id; }

std::map<std::string, std::vector<int>> KillProcessesOf(const std::set<std::string>& ids) {
  std::map<std::string, std::vector<int>> killed;
  if (ids.empty()) return killed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    int pid = std::stoi(name);
    if (pid == ::getpid()) continue;
    std::string sid = SessionOfProcess(pid);
    if (sid.empty() || !ids.count(sid)) continue;
    if (::kill(pid, SIGKILL) == 0) killed[sid].push_back(pid);
  }
  return killed;
}

}  // namespace agentmux
