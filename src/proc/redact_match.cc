#include "proc/redact_match.h"

#include <algorithm>

namespace agentmux {
namespace redact_detail {

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

Result Matched(const View& v, size_t len, const std::string& replacement, const Alphabet* swallow,
               size_t clear) {
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

}  // namespace redact_detail
}  // namespace agentmux
