// The matching engine of the redactor (proc/redact.h): credential shapes, escape-skipping views of
// a stream, and each candidate's verdict (none, need more bytes, or a match and its replacement).
// Internal to src/proc/: include only from redact*.cc. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proc/redact.h"

namespace agentmux {
namespace redact_detail {

inline constexpr unsigned char kEsc = 0x1b;
// How far back the look-behind sees (a CSI before a token, the user part of a URL). Fixed, so a
// decision never depends on how much of the stream happens to be in memory.
inline constexpr size_t kLookBehind = 256;
inline constexpr size_t kMaxCsiLookBehind = 64;

using Alphabet = std::array<bool, 256>;

template <typename F>
Alphabet MakeAlphabet(F&& in) {
  Alphabet a{};
  for (int c = 0; c < 256; ++c) a[c] = in(static_cast<unsigned char>(c));
  return a;
}

inline bool IsAlnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

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

inline const Alphabets& A() {
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

inline const std::string& Replacement(Kind k) {
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

inline const std::vector<Shape>& Shapes() {
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

inline constexpr std::string_view kJwtPrefix = "eyJ";
inline constexpr std::string_view kPemPrefix = "-----BEGIN ";

struct Starts {
  std::array<uint8_t, 65536> pair{};  // [first << 8 | second]: a candidate may start at `first`
  std::array<bool, 256> first{};      // a candidate may start here (the last byte of a buffer)
  std::array<bool, 256> shape{};      // a shape may start here (needs a token boundary)

  void Add(unsigned char a, unsigned char b) {
    pair[a << 8 | b] = 1;
    pair[a << 8 | kEsc] = 1;  // an escape may follow the first byte
    first[a] = true;
  }
};

struct View {
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

struct Result {
  enum St { kNone, kNeed, kMatch } st = kNone;
  size_t clear = 0;  // bytes kept before the replaced span
  size_t len = 0;    // bytes consumed from the candidate's start, clear ones included
  const std::string* replacement = nullptr;
  const bool* swallow = nullptr;  // the token reached the window: keep dropping this alphabet
};

Result Need();
Result None();
// A match of `len` bytes from the candidate's start, replaced by `replacement`; `swallow`: the
// token's alphabet, when the token may go on past the window.
Result Matched(const View& v, size_t len, const std::string& replacement, const Alphabet* swallow = nullptr,
               size_t clear = 0);
// Length of the escape sequence at v.b[p] (an ESC), or 0 when it is not one; *need when the view
// ends inside it and may still grow.
size_t EscLen(const View& v, size_t p, bool* need);
// Skips the escape sequences at v.b[*p]; false when the view ends inside one that may still grow.
bool SkipEscapes(const View& v, size_t* p);
Result MatchShape(const View& v, const Shape& s);
Result MatchJwt(const View& v);
Result MatchPem(const View& v);
Result MatchUrlPassword(const View& v);
// True when a token may start at the candidate (start of text, a non-alphanumeric byte, or the end
// of an escape sequence before it).
bool AtBoundary(const View& v);
// The byte pairs that may start a shape (shared by every Redactor).
std::shared_ptr<const Starts> ShapeStarts();

}  // namespace redact_detail
}  // namespace agentmux
