// Fuzz target: the streaming redactor (src/proc/redact.h) — Redactor::Feed/Flush against the
// one-shot RedactText, SecretsFromEnv and IsSensitiveName.
//
// Input: byte 0 = n, the length of the secrets section that follows (cut to what is there); its
// lines of the form NAME=VALUE are an environment given to Redactor::SecretsFromEnv, other lines
// are secret values themselves (named S0, S1, …). The rest is the text, fed in pieces cut where the
// data says (fuzz_util.h), then Flush(). Aborts when the documented guarantees break:
//   - Feed()…+Flush() differs from RedactText(text, secrets) (the output must not depend on cuts),
//   - held() ≥ max_held() after a Feed(),
//   - Redact(text) differs from RedactText(text, secrets),
//   - a second stream on the same Redactor after Flush() (byte by byte, for texts ≤ 2 KiB) differs.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "proc/redact.h"

namespace {

using agentmux_fuzz::Fail;

std::string Show(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 400)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string Stream(agentmux::Redactor& r, const std::vector<std::string_view>& pieces) {
  std::string out;
  for (std::string_view p : pieces) {
    out += r.Feed(p);
    if (r.held() >= r.max_held())
      Fail("held() >= max_held() after Feed()", std::to_string(r.held()) + " >= " + std::to_string(r.max_held()));
  }
  return out + r.Flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t n = std::min<size_t>(data[0], in.size());
  std::string_view section = in.substr(0, n), text = in.substr(n);

  std::vector<std::string> env;
  agentmux::Redactor::Secrets secrets;
  for (size_t start = 0; start < section.size();) {
    size_t nl = section.find('\n', start);
    std::string_view line = section.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (line.find('=') != std::string_view::npos) {
      std::string entry(line);
      (void)agentmux::IsSensitiveName(entry.substr(0, entry.find('=')));
      env.push_back(std::move(entry));
    } else if (!line.empty()) {
      secrets.emplace_back("S" + std::to_string(secrets.size()), std::string(line));
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  for (auto& s : agentmux::Redactor::SecretsFromEnv(env)) secrets.push_back(std::move(s));

  const std::string expected = agentmux::RedactText(text, secrets);
  agentmux::Redactor r(secrets);
  const std::string streamed = Stream(r, agentmux_fuzz::Pieces(text));
  if (streamed != expected)
    Fail("streamed output differs from RedactText", "streamed: " + Show(streamed) + "\nexpected: " + Show(expected));
  if (r.held() != 0) Fail("bytes held after Flush()");
  const std::string oneshot = r.Redact(text);
  if (oneshot != expected)
    Fail("Redact() differs from RedactText", "Redact:     " + Show(oneshot) + "\nRedactText: " + Show(expected));
  if (text.size() <= 2048) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
    const std::string again = Stream(r, bytes);
    if (again != expected)
      Fail("a second stream, byte by byte, differs from RedactText",
           "streamed: " + Show(again) + "\nexpected: " + Show(expected));
  }
  return 0;
}
