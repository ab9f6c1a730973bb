// Redaction of secrets from agent output and other text before it is stored or streamed (DESIGN §7).
//
// Two kinds of secret are replaced. Env secrets: the values of a session's sensitive environment
// variables (IsSensitiveName), at least kMinSecretBytes long, each replaced by "[REDACTED:NAME]".
// Credential shapes, whatever their source: Anthropic/OpenAI "sk-…", GitHub "ghp_…"/"github_pat_…",
// GitLab "glpat-…", Slack "xox?-…", AWS "AKIA…"/"ASIA…", Google "AIza…", Stripe "sk_live_…",
// Hugging Face "hf_…", npm "npm_…", JWTs "eyJ….….…", PEM private key blocks, and the password of a
// URL's userinfo ("scheme://user:PASSWORD@host", only the password is replaced), each replaced by
// "[REDACTED:<kind>]" (anthropic_key, openai_key, github_token, gitlab_token, slack_token,
// aws_access_key, google_api_key, stripe_key, huggingface_token, npm_token, jwt, private_key,
// url_password). A shape needs a token boundary before it (start of text, a non-alphanumeric byte or
// the end of an escape sequence) and a minimum body length; it ends at the first byte outside its
// alphabet, so "sk-learn", "task-list" or a lone "eyJ" stay as they are.
//
// Terminal escapes inside a candidate (PEM blocks excepted) are skipped while matching — CSI
// (ESC [ params… final 0x40–0x7E), OSC/DCS/APC/PM/SOS strings (ESC ] … BEL or ESC \) and ESC x —
// and the replacement covers the whole span, escapes included. Escapes before or after a token are
// kept.
//
// Streaming: Feed() holds back the end of its input while it could still become a secret, however
// long the pause, and emits it once the candidate is disproved or replaced. Held bytes are bounded by
// size, not time: held() < max_held() = max(kMaxHeldBytes, 2 × the longest env secret). When a
// candidate reaches that bound it is decided on what is held: replaced if it already qualifies (a
// token that then continues is swallowed up to its end), released otherwise. Flush() ends the stream.
// The output never depends on how the input was cut into Feed() calls: the concatenation of every
// Feed() and the final Flush() equals Redact() of the whole text (RedactText with the same secrets).
// Cost: one 64 KiB table lookup per input byte; a match is attempted only where a byte pair can
// start a candidate.
//
// Thread rules: a Redactor is not thread-safe (one per output stream); Redact() is const and may be
// called concurrently. The free functions are thread-safe. Nothing here throws except std::bad_alloc.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentmux {

namespace redact_detail {
struct Starts;  // which byte pairs may start a candidate
struct View;    // the bytes visible from a candidate's start
struct Result;  // a candidate's verdict
}  // namespace redact_detail

// True for environment variable names (any case) whose values are secrets: containing KEY, TOKEN,
// SECRET, PASSWORD, PASSWD, PASSPHRASE, CREDENTIAL, PRIVATE, COOKIE, BEARER or AUTH (but not AUTHOR,
// e.g. GIT_AUTHOR_NAME; AUTHORIZATION counts), or with a word part (split on '_', '-', '.') equal to
// PASS, PAT, PW, PWD or DSN — so GH_PAT, DB_PASS and MYSQL_PWD are, PATH, PWD and HOME are not.
bool IsSensitiveName(const std::string& name);

class Redactor {
 public:
  using Secrets = std::vector<std::pair<std::string, std::string>>;  // (name, value)

  // Shorter env values are ignored: they would mangle ordinary text ("dev", "on", "1").
  static constexpr size_t kMinSecretBytes = 4;
  // The bound on held() for sessions whose env secrets are all shorter than half of it.
  static constexpr size_t kMaxHeldBytes = 4096;

  // `secrets`: (name, value) pairs; values shorter than kMinSecretBytes are ignored. With none, the
  // Redactor still replaces credential shapes, so every stream needs one.
  explicit Redactor(const Secrets& secrets = {});
  ~Redactor();
  Redactor(Redactor&&) noexcept;
  Redactor& operator=(Redactor&&) noexcept;

  // The secrets of an environment ("KEY=VALUE" entries): the values of sensitive names
  // (IsSensitiveName) of at least kMinSecretBytes, and, under the variable's own name, the password
  // of any "scheme://user:password@host" URL in any value (DATABASE_URL=postgres://u:pw@db/x gives
  // ("DATABASE_URL", "pw")), so the password alone is caught as well.
  static Secrets SecretsFromEnv(const std::vector<std::string>& env);

  // True when there are no env secrets (credential shapes are replaced all the same).
  bool empty() const { return secrets_.empty(); }

  // Returns the bytes that are safe to emit now, redacted; holds back a possible secret's start.
  std::string Feed(std::string_view bytes);
  // End of stream: decides what is held (a complete shape at the very end is replaced) and returns
  // it. A later Feed() starts a new stream.
  std::string Flush();
  size_t held() const { return pending_.size(); }
  size_t max_held() const { return window_; }

  // One-shot redaction of a complete text with this Redactor's secrets; the stream is untouched.
  std::string Redact(std::string_view text) const;

 private:
  struct Secret {
    std::string value, replacement;
  };
  using Starts = redact_detail::Starts;
  using View = redact_detail::View;
  using Result = redact_detail::Result;
  struct State {  // what a stream carries from one Feed() to the next
    std::string tail;               // the last bytes consumed, for look-behind (boundaries, URL user)
    const bool* swallow = nullptr;  // alphabet of a replaced token cut by the window, still going on
  };

  // Redacts `in` into `out`; returns how many bytes of `in` were consumed (all when `final`).
  size_t Scan(std::string_view in, bool final, State& state, std::string& out) const;
  bool Swallow(std::string_view in, size_t* i, bool final, State& state) const;
  Result Evaluate(const View& v) const;

  std::vector<Secret> secrets_;  // longest first
  std::shared_ptr<const Starts> starts_;
  size_t window_ = kMaxHeldBytes;
  State state_;
  std::string pending_;
};

// Credential shapes plus the given (name, value) env secrets replaced in a complete text (argv
// elements, env values, prompts, event payloads, error messages).
std::string RedactText(std::string_view text, const Redactor::Secrets& secrets = {});
// RedactText applied to every string inside `value`, recursively (object values and array items;
// keys are left alone).
void RedactJson(nlohmann::json& value, const Redactor::Secrets& secrets = {});
// True when `text` holds a replacement ("[REDACTED:").
bool ContainsRedaction(std::string_view text);

}  // namespace agentmux
