#include "proc/redact.h"

#include "proc/redact_match.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

namespace agentmux {

using namespace redact_detail;  // NOLINT: the engine's vocabulary, this file only

bool IsSensitiveName(const std::string& name) {
  std::string upper = name;
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  for (const char* word :
       {"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "PRIVATE", "COOKIE", "BEARER"})
    if (upper.find(word) != std::string::npos) return true;
  for (size_t at = upper.find("AUTH"); at != std::string::npos; at = upper.find("AUTH", at + 1)) {
    std::string_view after = std::string_view(upper).substr(at + 4);
    bool author = after.substr(0, 2) == "OR" && after.substr(0, 4) != "ORIZ" && after.substr(0, 4) != "ORIS";
    if (!author) return true;  // AUTH, OAUTH, AUTHORIZATION — not AUTHOR, AUTHORITY
  }
  if (upper == "PWD") return false;  // the working directory
  size_t start = 0;
  for (size_t i = 0; i <= upper.size(); ++i) {
    if (i < upper.size() && upper[i] != '_' && upper[i] != '-' && upper[i] != '.') continue;
    std::string_view part = std::string_view(upper).substr(start, i - start);
    if (part == "PASS" || part == "PAT" || part == "PW" || part == "PWD" || part == "DSN") return true;
    start = i + 1;
  }
  return false;
}

Redactor::Redactor(const Secrets& secrets) {
  for (const auto& [name, value] : secrets)
    if (value.size() >= kMinSecretBytes) secrets_.push_back({value, "[REDACTED:" + name + "]"});
  // Longest first, so a secret that contains another is replaced whole; then one entry per value.
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const Secret& a, const Secret& b) { return a.value.size() > b.value.size(); });
  std::vector<Secret> unique;
  for (auto& s : secrets_)
    if (std::none_of(unique.begin(), unique.end(), [&](const Secret& u) { return u.value == s.value; }))
      unique.push_back(std::move(s));
  secrets_ = std::move(unique);
  if (secrets_.empty()) {
    starts_ = ShapeStarts();
    return;
  }
  window_ = std::max(kMaxHeldBytes, 2 * secrets_.front().value.size());
  auto starts = std::make_shared<Starts>(*ShapeStarts());
  for (const Secret& s : secrets_) starts->Add(s.value[0], s.value[1]);
  starts_ = std::move(starts);
}

Redactor::~Redactor() = default;
Redactor::Redactor(Redactor&&) noexcept = default;
Redactor& Redactor::operator=(Redactor&&) noexcept = default;

namespace {

// The passwords of the "scheme://user:password@host" URLs in `value`.
std::vector<std::string> UrlPasswords(std::string_view value) {
  const Alphabets& a = A();
  std::vector<std::string> out;
  for (size_t s = value.find("://"); s != std::string_view::npos; s = value.find("://", s + 3)) {
    size_t end = s + 3;
    while (end < value.size() && a.url_auth[static_cast<unsigned char>(value[end])]) ++end;
    std::string_view auth = value.substr(s + 3, end - s - 3);
    size_t at = auth.rfind('@');
    if (at == std::string_view::npos) continue;
    size_t colon = auth.substr(0, at).find(':');
    if (colon == std::string_view::npos) continue;
    out.emplace_back(auth.substr(colon + 1, at - colon - 1));
  }
  return out;
}

}  // namespace

Redactor::Secrets Redactor::SecretsFromEnv(const std::vector<std::string>& env) {
  Secrets out;
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    if (IsSensitiveName(name) && value.size() >= kMinSecretBytes) out.emplace_back(name, value);
    for (auto& password : UrlPasswords(value))
      if (password.size() >= kMinSecretBytes && password != value) out.emplace_back(name, std::move(password));
  }
  return out;
}

Result Redactor::Evaluate(const View& v) const {
  unsigned char c = v.b[0];
  for (const Secret& s : secrets_) {
    if (static_cast<unsigned char>(s.value[0]) != c) continue;
    const std::string& val = s.value;
    size_t p = 0, j = 0;
    for (;;) {
      if (j == val.size()) return Matched(v, p, s.replacement);
      if (p >= v.n) {
        if (v.more) return Need();
        // Cut by the window in the middle of escapes: what is held of it is replaced.
        if (v.cut && j >= kMinSecretBytes) return Matched(v, p, s.replacement);
        break;
      }
      if (v.b[p] == static_cast<unsigned char>(val[j])) {
        ++p, ++j;
        continue;
      }
      if (v.b[p] != kEsc || j == 0) break;
      bool need;
      size_t len = EscLen(v, p, &need);
      if (need) return Need();
      if (len == 0) break;
      p += len;
    }
  }
  if (starts_->shape[c] && AtBoundary(v)) {
    for (const Shape& shape : Shapes()) {
      if (static_cast<unsigned char>(shape.prefix[0]) != c) continue;
      if (Result r = MatchShape(v, shape); r.st != Result::kNone) return r;
    }
    if (c == 'e') return MatchJwt(v);
    if (c == '-') return MatchPem(v);
  }
  if (c == ':') return MatchUrlPassword(v);
  return None();
}

bool Redactor::Swallow(std::string_view in, size_t* i, bool final, State& state) const {
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size(), p = *i;
  const bool* alpha = state.swallow;
  for (;;) {
    while (p < n && alpha[b[p]]) ++p;
    *i = p;
    if (p >= n) return true;
    if (b[p] != kEsc) break;
    View v{b + p, std::min(n - p, window_), !final && n - p < window_, n - p >= window_, b + p, p, &state.tail};
    size_t r = 0;
    if (!SkipEscapes(v, &r)) return false;
    if (r >= v.n) {
      if (v.more) return false;
      break;
    }
    if (r == 0 || !alpha[v.b[r]]) break;
    p += r;
  }
  state.swallow = nullptr;
  return true;
}

size_t Redactor::Scan(std::string_view in, bool final, State& state, std::string& out) const {
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  const uint8_t* pair = starts_->pair.data();
  size_t i = 0;
  bool hold = state.swallow && !Swallow(in, &i, final, state);
  while (!hold && i < n) {
    size_t j = i;
    // The hot loop: four pairs per branch, then one at a time up to the candidate.
    while (j + 4 < n && !(pair[b[j] << 8 | b[j + 1]] | pair[b[j + 1] << 8 | b[j + 2]] |
                          pair[b[j + 2] << 8 | b[j + 3]] | pair[b[j + 3] << 8 | b[j + 4]]))
      j += 4;
    while (j + 1 < n && !pair[b[j] << 8 | b[j + 1]]) ++j;
    if (j + 1 == n && !starts_->first[b[j]]) ++j;
    out.append(in.data() + i, j - i);
    i = j;
    if (j >= n) break;
    View v{b + j, std::min(n - j, window_), !final && n - j < window_, n - j >= window_, b + j, j, &state.tail};
    Result r = Evaluate(v);
    if (r.st == Result::kNeed) break;
    if (r.st == Result::kNone) {
      out.push_back(in[j]);
      i = j + 1;
      continue;
    }
    out.append(in.data() + j, r.clear);
    out += *r.replacement;
    i = j + r.len;
    if (r.swallow) {
      state.swallow = r.swallow;
      hold = !Swallow(in, &i, final, state);
    }
  }
  if (final) state.swallow = nullptr;
  // Keep the last kLookBehind consumed bytes.
  if (i >= kLookBehind) {
    state.tail.assign(in.data() + i - kLookBehind, kLookBehind);
  } else {
    state.tail.append(in.data(), i);
    if (state.tail.size() > kLookBehind) state.tail.erase(0, state.tail.size() - kLookBehind);
  }
  return i;
}

std::string Redactor::Feed(std::string_view bytes) {
  std::string out;
  if (pending_.empty()) {
    out.reserve(bytes.size() + 64);
    size_t used = Scan(bytes, false, state_, out);
    pending_.assign(bytes.substr(used));
    return out;
  }
  std::string buf = std::move(pending_);
  buf.append(bytes);
  out.reserve(buf.size() + 64);
  size_t used = Scan(buf, false, state_, out);
  pending_ = buf.substr(used);
  return out;
}

std::string Redactor::Flush() {
  std::string out;
  Scan(pending_, true, state_, out);
  pending_.clear();
  state_ = State{};
  return out;
}

std::string Redactor::Redact(std::string_view text) const {
  State state;
  std::string out;
  out.reserve(text.size() + 64);
  Scan(text, true, state, out);
  return out;
}

std::string RedactText(std::string_view text, const Redactor::Secrets& secrets) {
  return Redactor(secrets).Redact(text);
}

namespace {

void RedactJsonWith(const Redactor& r, nlohmann::json& value) {
  if (value.is_string()) {
    auto& s = value.get_ref<std::string&>();
    s = r.Redact(s);
  } else if (value.is_object() || value.is_array()) {
    for (auto& item : value) RedactJsonWith(r, item);
  }
}

}  // namespace

void RedactJson(nlohmann::json& value, const Redactor::Secrets& secrets) {
  Redactor r(secrets);
  RedactJsonWith(r, value);
}

bool ContainsRedaction(std::string_view text) { return text.find("[REDACTED:") != std::string_view::npos; }

}  // namespace agentmux
