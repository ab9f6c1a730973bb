#include "proc/process_scan.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <thread>

namespace agentmux {
namespace {

constexpr const char kKey[] = "AGENTMUX_SESSION_ID=";
constexpr unsigned long kKernelThread = 0x00200000;  // PF_KTHREAD in /proc/<pid>/stat's flags

// What /proc/<pid>/environ says: the process is gone or not ours (nullopt), or its environment
// block, which is empty for kernel threads and for a process in the middle of execve(2) (the new
// image's environment is not mapped yet).
std::optional<std::string> ReadEnviron(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  if (!in) return std::nullopt;
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return env;
}

// True for a process that may still be exec'ing: not a kernel thread, not a zombie, still there.
bool MayBeExecing(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;  // gone
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  std::istringstream fields(line.substr(close + 2));
  std::string state, field;
  fields >> state;  // field 3
  unsigned long flags = 0;
  for (int i = 4; i <= 9 && fields >> field; ++i)  // field 9 is flags
    if (i == 9) flags = std::strtoul(field.c_str(), nullptr, 10);
  return state != "Z" && state != "X" && !(flags & kKernelThread);
}

std::string SessionOfEnviron(const std::string& env) {
  // Entries are NUL-separated; the key starts the block or follows a NUL.
  size_t at = env.rfind(kKey, 0) == 0 ? 0 : env.find(std::string(1, '\0') + kKey);
  if (at == std::string::npos) return "";
  if (env[at] == '\0') ++at;
  size_t start = at + sizeof(kKey) - 1, end = env.find('\0', start);
  return env.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::vector<int> ListPids() {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    pids.push_back(std::stoi(name));
  }
  return pids;
}

}  // namespace

std::string SessionOfProcess(int pid) { return SessionOfEnviron(ReadEnviron(pid).value_or("")); }

bool ProcessBelongsTo(int pid, const std::string& id) { return !id.empty() && SessionOfProcess(pid) == id; }

std::map<std::string, std::vector<int>> KillProcessesOf(const std::set<std::string>& ids) {
  std::map<std::string, std::vector<int>> killed;
  if (ids.empty()) return killed;
  // One pass can miss a process: one forked after /proc was read, or one caught in execve (empty
  // environment; e.g. `setsid sh -c '...; exec sleep'` as its parent dies). Scan again while a pass
  // killed something or met a user process with an empty environment, backing off (1, 2, 4, 8... ms,
  // about 60 ms at most) so a process preempted inside execve gets to finish it.
  std::set<int> done;
  for (int pass = 0, pause_ms = 1; pass < 7; ++pass, pause_ms *= 2) {
    bool again = false;
    for (int pid : ListPids()) {
      if (pid == ::getpid() || done.count(pid)) continue;
      auto env = ReadEnviron(pid);
      if (!env) continue;
      if (env->empty()) {
        if (MayBeExecing(pid)) again = true;
        continue;
      }
      std::string sid = SessionOfEnviron(*env);
      if (sid.empty() || !ids.count(sid)) continue;
      if (::kill(pid, SIGKILL) == 0) {
        killed[sid].push_back(pid);
        done.insert(pid);
        again = true;
      }
    }
    if (!again) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  return killed;
}

}  // namespace agentmux
