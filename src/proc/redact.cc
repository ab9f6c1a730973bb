#include "proc/redact.h"

#include <algorithm>

#include "session/manager.h"

namespace agentmux {

Redactor::Redactor(const std::vector<std::pair<std::string, std::string>>& secrets) {
  for (const auto& [name, value] : secrets)
    if (value.size() >= kMinSecretBytes) secrets_.emplace_back(value, "[REDACTED:" + name + "]");
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::vector<std::pair<std::string, std::string>> Redactor::SecretsFromEnv(const std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq);
    if (IsSensitiveName(name) && kv.size() - eq - 1 >= kMinSecretBytes) out.emplace_back(name, kv.substr(eq + 1));
  }
  return out;
}

std::string Redactor::Feed(std::string_view bytes) {
  if (secrets_.empty()) return std::string(bytes);
  std::string buf = std::move(pending_);
  pending_.clear();
  buf.append(bytes);
  std::string out;
  out.reserve(buf.size());
  size_t i = 0;
  while (i < buf.size()) {
    // Next occurrence of any secret.
    size_t best = std::string::npos;
    const std::pair<std::string, std::string>* hit = nullptr;
    for (const auto& s : secrets_) {
      size_t pos = buf.find(s.first, i);
      if (pos < best) best = pos, hit = &s;
    }
    if (!hit) break;
    out.append(buf, i, best - i);
    out += hit->second;
    i = best + hit->first.size();
  }
  // Hold back the longest tail that is a proper prefix of a secret.
  size_t hold = 0;
  size_t rest = buf.size() - i;
  for (const auto& s : secrets_) {
    for (size_t len = std::min(rest, s.first.size() - 1); len > hold; --len) {
      if (buf.compare(buf.size() - len, len, s.first, 0, len) == 0) {
        hold = len;
        break;
      }
    }
  }
  out.append(buf, i, rest - hold);
  pending_ = buf.substr(buf.size() - hold);
  return out;
}

std::string Redactor::Flush() { return std::exchange(pending_, std::string()); }

}  // namespace agentmux
