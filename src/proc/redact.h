// Redaction of secrets from agent output before it is stored or streamed (DESIGN §7).
//
// A Redactor knows a session's secret values (the values of environment variables whose names look
// secret: *KEY*, *TOKEN*, *SECRET*, *PASSWORD*, at least 8 bytes long) and replaces each occurrence in
// the output with "[REDACTED:NAME]". A secret split across two reads is still caught: Feed() holds
// back the end of its input while it could be the start of a secret, and releases it with the next
// Feed() or with Flush() (which the supervisor calls when no more output follows soon).
// Not thread-safe; one per output stream.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentmux {

class Redactor {
 public:
  static constexpr size_t kMinSecretBytes = 8;

  // `secrets`: (name, value) pairs; values shorter than kMinSecretBytes are ignored (too likely to
  // match ordinary text).
  explicit Redactor(const std::vector<std::pair<std::string, std::string>>& secrets);

  // The secrets of an environment ("KEY=VALUE" entries) by the naming rule above.
  static std::vector<std::pair<std::string, std::string>> SecretsFromEnv(const std::vector<std::string>& env);

  bool empty() const { return secrets_.empty(); }
  // Returns the bytes that are safe to emit now, redacted.
  std::string Feed(std::string_view bytes);
  // Returns whatever is held back (no secret can complete it any more).
  std::string Flush();
  size_t held() const { return pending_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> secrets_;  // (value, replacement)
  std::string pending_;
};

}  // namespace agentmux
