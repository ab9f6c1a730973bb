#include "proc/redact.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

namespace agentmux {

namespace {

constexpr unsigned char kEsc = 0x1b;
// How far back the look-behind sees (a CSI before a token, the user part of a URL). Fixed, so a
// decision never depends on how much of the stream happens to be in memory.
constexpr size_t kLookBehind = 256;
constexpr size_t kMaxCsiLookBehind = 64;

using Alphabet = std::array<bool, 256>;

template <typename F>
Alphabet MakeAlphabet(F&& in) {
  Alphabet a{};
  for (int c = 0; c < 256; ++c) a[c] = in(static_cast<unsigned char>(c));
  return a;
}

bool IsAlnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

struct Alphabets {
  Alphabet alnum = MakeAlphabet(IsAlnum);
  Alphabet letters = MakeAlphabet([](unsigned char c) { return IsAlnum(c) && !(c >= '0' && c <= '9'); });
  Alphabet upper_digit = MakeAlphabet([](unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); });
  Alphabet word = MakeAlphabet([](unsigned char c) { return IsAlnum(c) || c == '_'; });
  Alphabet dash = MakeAlphabet([](unsigned char c) { return IsAlnum(c) || c == '-'; });
  Alphabet key = MakeAlphabet([](unsigned char c) { return IsAlnum(c) || c == '_' || c == '-'; });  // base64url
  Alphabet jwt = MakeAlphabet([](unsigned char c) { return IsAlnum(c) || c == '_' || c == '-' || c == '.'; });
  // Userinfo user part: unreserved, sub-delims (no quotes or parentheses) and '%'.
  Alphabet url_user = MakeAlphabet([](unsigned char c) {
    return IsAlnum(c) || c >= 0x80 || std::strchr("-._~%!$&*+,;=", c) != nullptr;
  });
  // Userinfo password and host: visible bytes up to a path, query, fragment, quote or space.
  Alphabet url_auth = MakeAlphabet([](unsigned char c) {
    return (c > 0x20 && c < 0x7f && std::strchr("/?#\"'<>`\\", c) == nullptr) || c >= 0x80;
  });
  Alphabet pem_body = MakeAlphabet([](unsigned char c) {
    return IsAlnum(c) || std::strchr("+/=\r\n \t\\:,-", c) != nullptr;
  });
};

const Alphabets& A() {
  static const Alphabets a;
  return a;
}

enum Kind {
  kAnthropic,
  kOpenAi,
  kGithub,
  kGitlab,
  kSlack,
  kAws,
  kGoogle,
  kStripe,
  kHuggingFace,
  kNpm,
  kJwt,
  kPrivateKey,
  kUrlPassword,
  kKinds
};

const std::string& Replacement(Kind k) {
  static const std::array<std::string, kKinds> r = {
      "[REDACTED:anthropic_key]", "[REDACTED:openai_key]",     "[REDACTED:github_token]", "[REDACTED:gitlab_token]",
      "[REDACTED:slack_token]",   "[REDACTED:aws_access_key]", "[REDACTED:google_api_key]", "[REDACTED:stripe_key]",
      "[REDACTED:huggingface_token]", "[REDACTED:npm_token]",  "[REDACTED:jwt]",          "[REDACTED:private_key]",
      "[REDACTED:url_password]"};
  return r[k];
}

// A token: prefix, then a body of at least min_body bytes of its alphabet.
struct Shape {
  std::string_view prefix;
  const Alphabet* alpha;
  size_t min_body;
  int min_classes;  // how many of lower, upper, digit the body must mix (tells keys from words)
  bool need_digit;
  Kind kind;
};

const std::vector<Shape>& Shapes() {
  const Alphabets& a = A();
  static const std::vector<Shape> shapes = {
      {"sk-ant-", &a.key, 16, 2, false, kAnthropic},  // before "sk-"
      {"sk-", &a.key, 20, 2, false, kOpenAi},           // sk-…, sk-proj-…, sk-svcacct-…
      {"sk_live_", &a.alnum, 16, 1, false, kStripe},
      {"sk_test_", &a.alnum, 16, 1, false, kStripe},
      {"rk_live_", &a.alnum, 16, 1, false, kStripe},
      {"rk_test_", &a.alnum, 16, 1, false, kStripe},
      {"ghp_", &a.alnum, 36, 1, false, kGithub},
      {"gho_", &a.alnum, 36, 1, false, kGithub},
      {"ghu_", &a.alnum, 36, 1, false, kGithub},
      {"ghs_", &a.alnum, 36, 1, false, kGithub},
      {"ghr_", &a.alnum, 36, 1, false, kGithub},
      {"github_pat_", &a.word, 22, 1, false, kGithub},
      {"glpat-", &a.key, 20, 1, false, kGitlab},
      {"xoxb-", &a.dash, 10, 1, true, kSlack},
      {"xoxp-", &a.dash, 10, 1, true, kSlack},
      {"xoxa-", &a.dash, 10, 1, true, kSlack},
      {"xoxr-", &a.dash, 10, 1, true, kSlack},
      {"xoxs-", &a.dash, 10, 1, true, kSlack},
      {"AKIA", &a.upper_digit, 16, 1, false, kAws},
      {"ASIA", &a.upper_digit, 16, 1, false, kAws},
      {"AIza", &a.key, 35, 1, false, kGoogle},
      {"hf_", &a.letters, 30, 2, false, kHuggingFace},
      {"npm_", &a.alnum, 36, 1, false, kNpm},
  };
  return shapes;
}

constexpr std::string_view kJwtPrefix = "eyJ";
constexpr std::string_view kPemPrefix = "-----BEGIN ";

}  // namespace

struct redact_detail::Starts {
  std::array<uint8_t, 65536> pair{};  // [first << 8 | second]: a candidate may start at `first`
  std::array<bool, 256> first{};      // a candidate may start here (the last byte of a buffer)
  std::array<bool, 256> shape{};      // a shape may start here (needs a token boundary)

  void Add(unsigned char a, unsigned char b) {
    pair[a << 8 | b] = 1;
    pair[a << 8 | kEsc] = 1;  // an escape may follow the first byte
    first[a] = true;
  }
};

struct redact_detail::View {
  const unsigned char* b;  // the candidate's first byte
  size_t n;                // bytes visible (at most the window)
  bool more;               // the view may still grow (not final, window not reached)
  bool cut;                // the view ends at the window, not at the end of the text
  // Look-behind: the consumed bytes before the candidate.
  const unsigned char* buf_before;  // the candidate's position in the current buffer
  size_t in_buf;                    // bytes of the buffer before the candidate
  const std::string* tail;          // bytes consumed before the buffer

  // The byte k positions before the candidate (k ≥ 1), or -1 when none is visible.
  int back(size_t k) const {
    if (k > kLookBehind) return -1;
    if (k <= in_buf) return buf_before[-static_cast<ptrdiff_t>(k)];
    size_t m = k - in_buf;
    if (m > tail->size()) return -1;
    return static_cast<unsigned char>((*tail)[tail->size() - m]);
  }
};

struct redact_detail::Result {
  enum St { kNone, kNeed, kMatch } st = kNone;
  size_t clear = 0;  // bytes kept before the replaced span
  size_t len = 0;    // bytes consumed from the candidate's start, clear ones included
  const std::string* replacement = nullptr;
  const bool* swallow = nullptr;  // the token reached the window: keep dropping this alphabet
};

namespace {

using redact_detail::Result;
using redact_detail::View;
using redact_detail::Starts;

Result Need() { return {Result::kNeed}; }
Result None() { return {Result::kNone}; }

// Length of the escape sequence at v.b[p] (an ESC), or 0 when it is not one; *need when the view
// ends inside it and may still grow.
size_t EscLen(const View& v, size_t p, bool* need) {
  *need = false;
  const unsigned char* b = v.b;
  size_t n = v.n;
  if (p + 1 >= n) {
    *need = v.more;
    return 0;
  }
  unsigned char c = b[p + 1];
  if (c == '[') {  // CSI
    for (size_t j = p + 2; j < n; ++j) {
      if (b[j] >= 0x40 && b[j] <= 0x7e) return j + 1 - p;
      if (b[j] < 0x20 || b[j] > 0x3f) return 0;
    }
    *need = v.more;
    return 0;
  }
  if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {  // OSC, DCS, SOS, PM, APC
    for (size_t j = p + 2; j < n; ++j) {
      if (b[j] == 0x07) return j + 1 - p;
      if (b[j] == kEsc) {
        if (j + 1 >= n) break;
        return b[j + 1] == '\\' ? j + 2 - p : 0;
      }
    }
    *need = v.more;
    return 0;
  }
  if (c >= 0x20 && c <= 0x2f) {  // nF: ESC intermediates… final
    size_t j = p + 2;
    while (j < n && b[j] >= 0x20 && b[j] <= 0x2f) ++j;
    if (j >= n) {
      *need = v.more;
      return 0;
    }
    return b[j] >= 0x30 && b[j] <= 0x7e ? j + 1 - p : 0;
  }
  if (c >= 0x30 && c <= 0x7e) return 2;  // ESC x
  return 0;
}

// Advances *p past the escape sequences at *p. False when more bytes are needed to tell.
bool SkipEscapes(const View& v, size_t* p) {
  while (*p < v.n && v.b[*p] == kEsc) {
    bool need;
    size_t len = EscLen(v, *p, &need);
    if (need) return false;
    if (len == 0) return true;
    *p += len;
  }
  return true;
}

// Matches `lit` at *p, escapes allowed between its bytes.
Result::St MatchLiteral(const View& v, size_t* p, std::string_view lit) {
  for (size_t k = 0; k < lit.size(); ++k) {
    if (k > 0 && !SkipEscapes(v, p)) return Result::kNeed;
    if (*p >= v.n) return v.more ? Result::kNeed : Result::kNone;
    if (v.b[*p] != static_cast<unsigned char>(lit[k])) return Result::kNone;
    ++*p;
  }
  return Result::kMatch;
}

// Scans a run of `alpha` from *p (escapes are skipped when an alphabet byte follows them), calling
// on_byte(byte, position) for each byte of it; *p ends after its last byte. False when the run may
// still go on beyond the view.
template <typename F>
bool ScanRun(const View& v, size_t* p, const Alphabet& alpha, F&& on_byte) {
  size_t q = *p;
  for (;;) {
    while (q < v.n && alpha[v.b[q]]) {
      on_byte(v.b[q], q);
      ++q;
    }
    *p = q;
    if (q >= v.n) return !v.more;
    if (v.b[q] != kEsc) return true;
    size_t r = q;
    if (!SkipEscapes(v, &r)) return false;
    if (r >= v.n) return !v.more;
    if (r == q || !alpha[v.b[r]]) return true;
    q = r;
  }
}

Result Matched(const View& v, size_t len, const std::string& replacement, const Alphabet* swallow = nullptr,
               size_t clear = 0) {
  Result r{Result::kMatch, clear, len, &replacement};
  if (swallow && v.cut && len == v.n) r.swallow = swallow->data();
  return r;
}

Result MatchShape(const View& v, const Shape& s) {
  size_t p = 0;
  if (auto st = MatchLiteral(v, &p, s.prefix); st != Result::kMatch) return {st};
  size_t n = 0;
  bool lower = false, upper = false, digit = false;
  if (!ScanRun(v, &p, *s.alpha, [&](unsigned char c, size_t) {
        ++n;
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
        digit |= c >= '0' && c <= '9';
      }))
    return Need();
  if (n < s.min_body || int(lower) + int(upper) + int(digit) < s.min_classes || (s.need_digit && !digit))
    return None();
  return Matched(v, p, Replacement(s.kind), s.alpha);
}

// header.payload.signature, base64url; a sentence's full stop after it is not part of it.
Result MatchJwt(const View& v) {
  size_t p = 0;
  if (auto st = MatchLiteral(v, &p, kJwtPrefix); st != Result::kMatch) return {st};
  size_t seg[2] = {kJwtPrefix.size(), 0};
  size_t dots = 0, second_dot_end = 0, last_end = 0, dots_at_last = 0;
  if (!ScanRun(v, &p, A().jwt, [&](unsigned char c, size_t pos) {
        if (c == '.') {
          if (++dots == 2) second_dot_end = pos + 1;
          return;
        }
        if (dots < 2) ++seg[dots];
        last_end = pos + 1;
        dots_at_last = dots;
      }))
    return Need();
  if (dots < 2 || seg[0] < 10 || seg[1] < 2) return None();
  size_t end = p;
  if (dots > 2 && v.b[p - 1] == '.') end = dots_at_last >= 2 ? last_end : second_dot_end;
  return Matched(v, end, Replacement(kJwt), &A().jwt);
}

// "-----BEGIN … PRIVATE KEY-----" … "-----END … -----"; escapes are not expected inside.
Result MatchPem(const View& v) {
  size_t p = 0;
  if (auto st = MatchLiteral(v, &p, kPemPrefix); st != Result::kMatch) return {st};
  size_t label = p;
  while (p < v.n && p - label <= 40 && ((v.b[p] >= 'A' && v.b[p] <= 'Z') || v.b[p] == ' ')) ++p;
  if (p >= v.n) return v.more ? Need() : None();
  std::string_view name(reinterpret_cast<const char*>(v.b + label), p - label);
  if (name.size() < 11 || name.substr(name.size() - 11) != "PRIVATE KEY") return None();
  if (auto st = MatchLiteral(v, &p, "-----"); st != Result::kMatch) return {st};
  std::string_view rest(reinterpret_cast<const char*>(v.b + p), v.n - p);
  size_t end = rest.find("-----END ");
  std::string_view body = rest.substr(0, end);
  const Alphabet& alpha = A().pem_body;
  size_t base64 = 0;
  for (unsigned char c : body) {
    if (!alpha[c]) return None();
    base64 += IsAlnum(c) || c == '+' || c == '/';
  }
  if (end == std::string_view::npos) {
    if (v.more) return Need();
    return v.cut && base64 >= 40 ? Matched(v, v.n, Replacement(kPrivateKey), &alpha) : None();
  }
  if (base64 < 40) return None();
  p += end + 9;
  while (p < v.n && ((v.b[p] >= 'A' && v.b[p] <= 'Z') || v.b[p] == ' ')) ++p;
  auto st = MatchLiteral(v, &p, "-----");
  if (st == Result::kNeed) return Need();
  if (st == Result::kNone) return v.cut && p >= v.n ? Matched(v, v.n, Replacement(kPrivateKey)) : None();
  return Matched(v, p, Replacement(kPrivateKey));
}

// At the ':' of "scheme://user:password@host": replaces the password (up to the last '@' of the
// authority), keeps the rest.
Result MatchUrlPassword(const View& v) {
  const Alphabets& a = A();
  size_t k = 1;
  for (int c; (c = v.back(k)) >= 0 && a.url_user[c];) ++k;
  if (v.back(k) != '/' || v.back(k + 1) != '/' || v.back(k + 2) != ':') return None();
  size_t p = 1, at = 0;
  if (!ScanRun(v, &p, a.url_auth, [&](unsigned char c, size_t pos) {
        if (c == '@') at = pos;
      }))
    return Need();
  if (at <= 1) return None();
  return Matched(v, at, Replacement(kUrlPassword), nullptr, 1);
}

// A token boundary before the candidate: start of text, a non-alphanumeric byte, or the end of an
// escape sequence (ESC x, CSI, nF) — so "\x1b[31mghp_…" is still a token.
bool AtBoundary(const View& v) {
  int p1 = v.back(1);
  if (p1 < 0 || !A().alnum[p1]) return true;
  if (v.back(2) == kEsc) return true;  // ESC x (x alphanumeric is a valid final byte)
  if (p1 < 0x40) return false;         // a digit ends no CSI
  size_t k = 2;
  for (int c; k <= kMaxCsiLookBehind && (c = v.back(k)) >= 0x20 && c <= 0x3f;) ++k;
  int c = v.back(k);
  return c == kEsc || (c == '[' && v.back(k + 1) == kEsc);
}

std::shared_ptr<const Starts> ShapeStarts() {
  static const std::shared_ptr<const Starts> starts = [] {
    auto s = std::make_shared<Starts>();
    auto add_shape = [&](std::string_view prefix) {
      s->Add(prefix[0], prefix[1]);
      s->shape[static_cast<unsigned char>(prefix[0])] = true;
    };
    for (const Shape& shape : Shapes()) add_shape(shape.prefix);
    add_shape(kJwtPrefix);
    add_shape(kPemPrefix);
    for (int c = 0; c < 256; ++c)
      if (A().url_auth[c]) s->Add(':', c);
    return s;
  }();
  return starts;
}

}  // namespace

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
