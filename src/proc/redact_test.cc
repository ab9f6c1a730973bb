#include "proc/redact.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <cstdio>
#include <random>

namespace agentmux {
namespace {

const std::string kKey = "sk-ant-api03-SECRETSECRET";
using Secrets = std::vector<std::pair<std::string, std::string>>;

// Credential shapes and what they become.
struct Sample {
  std::string text, redacted;
};
const std::vector<Sample>& ShapeSamples() {
  static const std::vector<Sample> samples = {
      {"sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGh", "[REDACTED:anthropic_key]"},
      {"sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678", "[REDACTED:openai_key]"},
      {"sk-Abc123Def456Ghi789Jkl012Mno345Pqr678Stu901Vwx2", "[REDACTED:openai_key]"},
      {"ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "[REDACTED:github_token]"},
      {"gho_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "[REDACTED:github_token]"},
      {"ghs_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "[REDACTED:github_token]"},
      {"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEF", "[REDACTED:github_token]"},
      {"glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn7", "[REDACTED:gitlab_token]"},
      {"xoxb-1234567890-0987654321-AbCdEfGhIjKlMn", "[REDACTED:slack_token]"},
      {"xoxp-1234567890-0987654321-AbCdEfGhIjKlMn", "[REDACTED:slack_token]"},
      {"AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws_access_key]"},
      {"ASIAY34FZKBOKMUTVV7A", "[REDACTED:aws_access_key]"},
      {"AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", "[REDACTED:google_api_key]"},
      {"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[REDACTED:stripe_key]"},
      {"hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "[REDACTED:huggingface_token]"},
      {"npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "[REDACTED:npm_token]"},
      {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
       "[REDACTED:jwt]"},
      {"postgres://app:hunter2pass@db.internal:5432/prod",
       "postgres://app:[REDACTED:url_password]@db.internal:5432/prod"},
      {"-----BEGIN RSA PRIVATE KEY-----\r\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\r\n"
       "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\r\n-----END RSA PRIVATE KEY-----",
       "[REDACTED:private_key]"},
  };
  return samples;
}

// Feeds `text` cut at `cuts` (ascending), then flushes.
std::string Stream(Redactor& r, std::string_view text, const std::vector<size_t>& cuts) {
  std::string out;
  size_t from = 0;
  for (size_t cut : cuts) {
    out += r.Feed(text.substr(from, cut - from));
    from = cut;
  }
  out += r.Feed(text.substr(from));
  return out + r.Flush();
}

// `text` with non-printable bytes as \xNN, for failure messages.
std::string Printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

std::string Bytewise(Redactor& r, std::string_view text) {
  std::string out;
  for (char c : text) out += r.Feed(std::string_view(&c, 1));
  return out + r.Flush();
}

// --- The basics -------------------------------------------------------------------------------

TEST(Redactor, ReplacesSecretsWithTheirName) {
  Redactor r(Secrets{{"ANTHROPIC_API_KEY", kKey}});
  EXPECT_EQ(r.Feed("key is " + kKey + ", again " + kKey + ".\n"),
            "key is [REDACTED:ANTHROPIC_API_KEY], again [REDACTED:ANTHROPIC_API_KEY].\n");
  EXPECT_EQ(r.held(), 0u);
}

TEST(Redactor, CatchesASecretSplitAcrossReadsAtEveryPoint) {
  std::string text = "before " + kKey + " after";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Redactor r(Secrets{{"ANTHROPIC_API_KEY", kKey}});
    EXPECT_EQ(Stream(r, text, {cut}), "before [REDACTED:ANTHROPIC_API_KEY] after") << "cut at " << cut;
  }
}

TEST(Redactor, ByteByByteStillRedacts) {
  Redactor r(Secrets{{"TOKEN", kKey}});
  EXPECT_EQ(Bytewise(r, "x" + kKey + "y"), "x[REDACTED:TOKEN]y");
}

TEST(Redactor, HoldsBackOnlyWhatCouldStartASecret) {
  Redactor r(Secrets{{"K", kKey}});
  EXPECT_EQ(r.Feed("hello sk-ant"), "hello ");
  EXPECT_EQ(r.held(), 6u);
  EXPECT_EQ(r.Feed("-not-it\n"), "sk-ant-not-it\n");
  EXPECT_EQ(r.Feed("plain\n"), "plain\n");
  EXPECT_EQ(r.held(), 0u);
}

TEST(Redactor, FlushReleasesAPrefixThatNeverCompleted) {
  Redactor r(Secrets{{"K", kKey}});
  EXPECT_EQ(r.Feed("prompt> sk-"), "prompt> ");
  EXPECT_EQ(r.Flush(), "sk-");
  EXPECT_EQ(r.held(), 0u);
}

TEST(Redactor, ShortValuesAreNotSecrets) {
  Redactor r(Secrets{{"API_KEY", "tst"}, {"FLAG_TOKEN", "1"}});
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.Feed("this is a tst, 1 of 1\n"), "this is a tst, 1 of 1\n");
}

TEST(Redactor, SecretsComeFromSensitiveEnvNames) {
  auto s = Redactor::SecretsFromEnv({"PATH=/usr/bin", "ANTHROPIC_API_KEY=" + kKey, "GITHUB_TOKEN=ghp_123456789",
                                     "MY_PASSWORD=shrt", "DB_SECRET=abc", "HOME=/root", "GH_PAT=abcdefgh", "NOEQUALS"});
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].first, "ANTHROPIC_API_KEY");
  EXPECT_EQ(s[1].first, "GITHUB_TOKEN");
  EXPECT_EQ(s[2], (std::pair<std::string, std::string>{"MY_PASSWORD", "shrt"}));
  EXPECT_EQ(s[3].first, "GH_PAT");
}

// --- 1. Held until disproved, however long the pause; bounded by size ---------------------------

TEST(Redactor, ASecretSplitAtAnyTwoPointsIsNeverEmittedWhateverThePause) {
  const std::string text = "before " + kKey + " after\n";
  const std::string expected = "before [REDACTED:K] after\n";
  for (size_t a = 0; a <= text.size(); ++a) {
    for (size_t b = a; b <= text.size(); ++b) {
      Redactor r(Secrets{{"K", kKey}});
      // No Flush() between the pieces: a pause of any length changes nothing.
      std::string out = r.Feed(text.substr(0, a));
      EXPECT_EQ(expected.compare(0, out.size(), out), 0) << a << "," << b;
      out += r.Feed(text.substr(a, b - a));
      EXPECT_EQ(expected.compare(0, out.size(), out), 0) << a << "," << b;
      out += r.Feed(text.substr(b));
      EXPECT_EQ(out.find("SECRET"), std::string::npos);
      out += r.Flush();
      ASSERT_EQ(out, expected) << a << "," << b;
    }
  }
}

TEST(Redactor, AShapeSplitAcrossAPauseIsHeldNotReleased) {
  Redactor r;
  EXPECT_EQ(r.Feed("token: ghp_A1b2C3d4E5f6"), "token: ");
  EXPECT_EQ(r.held(), 16u);  // however long the caller waits, nothing is released without a Feed or Flush
  EXPECT_EQ(r.Feed("G7h8I9j0K1l2M3n4O5p6Q7r8\n$ "), "[REDACTED:github_token]\n$ ");
  EXPECT_EQ(r.held(), 0u);
}

TEST(Redactor, HeldBytesNeverExceedTheBound) {
  std::string base64(20000, 'a');
  const std::vector<std::string> floods = {
      "eyJ" + base64,                       // a JWT header that never ends
      "sk-ant-" + base64,                   // a key that never ends
      "x://u:" + base64,                    // a URL authority without '@'
      "ghp_" + base64 + "\x1b]0;" + base64,  // an unterminated OSC inside a token
      "-----BEGIN PRIVATE KEY-----\n" + base64,
      std::string(20000, ':'),
  };
  std::mt19937 rng(7);
  for (const auto& flood : floods) {
    for (size_t chunk : {size_t(1), size_t(13), size_t(4095), size_t(65536)}) {
      Redactor r(Secrets{{"LONG_SECRET", "s" + std::string(100, 'q')}});
      ASSERT_EQ(r.max_held(), Redactor::kMaxHeldBytes);
      std::string out;
      for (size_t i = 0; i < flood.size(); i += chunk) {
        out += r.Feed(std::string_view(flood).substr(i, chunk));
        ASSERT_LT(r.held(), r.max_held()) << flood.substr(0, 10) << " chunk " << chunk;
      }
      out += r.Flush();
      EXPECT_EQ(out, RedactText(flood, Secrets{{"LONG_SECRET", "s" + std::string(100, 'q')}}));
    }
  }
  // A long env secret raises the bound to twice its length.
  Redactor r(Secrets{{"PEM_KEY", std::string(5000, 'k')}});
  EXPECT_EQ(r.max_held(), 10000u);
}

TEST(Redactor, ATokenLongerThanTheBoundIsReplacedWhole) {
  std::string token = "ghp_" + std::string(10000, 'Z') + "9";
  std::string text = "a " + token + "\x1b[0m" + "Q7r8 tail\n";  // goes on after an escape
  for (size_t chunk : {size_t(1), size_t(7), size_t(4096), size_t(100000)}) {
    Redactor r;
    std::vector<size_t> cuts;
    for (size_t c = chunk; c < text.size(); c += chunk) cuts.push_back(c);
    EXPECT_EQ(Stream(r, text, cuts), "a [REDACTED:github_token] tail\n") << chunk;
  }
}

TEST(Redactor, ACandidateDisprovedOnlyByTheBoundIsReleased) {
  std::string text = "eyJ" + std::string(10000, 'a') + " end\n";
  Redactor r;
  std::string out;
  for (size_t i = 0; i < text.size(); i += 100) out += r.Feed(text.substr(i, 100));
  EXPECT_EQ(out + r.Flush(), text);
}

TEST(Redactor, LookBehindIsTheSameWhateverTheChunking) {
  // The user part of a URL is looked for at most 256 bytes back, in a stream as in one text.
  for (size_t user : {size_t(10), size_t(250), size_t(260), size_t(5000)}) {
    std::string text = "x https://" + std::string(user, 'u') + ":hunter2pass@host/ y";
    std::string expected = RedactText(text);
    EXPECT_EQ(expected.find("hunter2pass") == std::string::npos, user <= 250) << user;
    for (size_t chunk : {size_t(1), size_t(100), size_t(4096)}) {
      Redactor r;
      std::vector<size_t> cuts;
      for (size_t c = chunk; c < text.size(); c += chunk) cuts.push_back(c);
      EXPECT_EQ(Stream(r, text, cuts), expected) << user << " " << chunk;
    }
  }
}

// --- 2. Terminal escapes inside a secret ----------------------------------------------------------

const std::vector<std::string>& Escapes() {
  static const std::vector<std::string> escapes = {
      "\x1b[0m", "\x1b[38;5;196m", "\x1b[2K", "\x1b]0;title\x07", "\x1b]8;;http://x/\x1b\\", "\x1b" "7", "\x1b(B",
      "\x1b[0m\x1b[1m"};
  return escapes;
}

TEST(Redactor, EscapesInsideAnEnvSecretAreCoveredByTheReplacement) {
  const std::string secret = "hunter2-is-my-password";
  for (const auto& esc : Escapes()) {
    for (size_t k = 1; k < secret.size(); ++k) {
      std::string text = "pw " + secret.substr(0, k) + esc + secret.substr(k) + " ok";
      EXPECT_EQ(RedactText(text, Secrets{{"DB_PASSWORD", secret}}), "pw [REDACTED:DB_PASSWORD] ok") << k;
      Redactor r(Secrets{{"DB_PASSWORD", secret}});
      EXPECT_EQ(Bytewise(r, text), "pw [REDACTED:DB_PASSWORD] ok") << k;
    }
  }
}

TEST(Redactor, EscapesInsideAShapeAreCoveredByTheReplacement) {
  EXPECT_EQ(RedactText("sk-ant-api03-abc\x1b[0mdefghijKLMNOPQRSTUV rest"), "[REDACTED:anthropic_key] rest");
  for (const auto& sample : ShapeSamples()) {
    if (sample.text.find("://") != std::string::npos || sample.text[0] == '-') continue;
    for (const auto& esc : Escapes()) {
      for (size_t k = 1; k < sample.text.size(); ++k) {
        std::string text = "[" + sample.text.substr(0, k) + esc + sample.text.substr(k) + "]";
        ASSERT_EQ(RedactText(text), "[" + sample.redacted + "]") << sample.text << " at " << k;
      }
    }
  }
  // In a URL password, too.
  EXPECT_EQ(RedactText("mysql://root:hunter\x1b[1m2pass@db/x"), "mysql://root:[REDACTED:url_password]@db/x");
}

TEST(Redactor, EscapesAroundATokenAreKept) {
  const std::string token = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  EXPECT_EQ(RedactText("\x1b[32m" + token + "\x1b[0m\r\n"), "\x1b[32m[REDACTED:github_token]\x1b[0m\r\n");
  EXPECT_EQ(RedactText("\x1b]0;" + token + "\x07"), "\x1b]0;[REDACTED:github_token]\x07");
  EXPECT_EQ(RedactText("\x1b" "7" + token), "\x1b" "7[REDACTED:github_token]");  // ESC x, x a digit
  EXPECT_EQ(RedactText("\x1b(B" + token), "\x1b(B[REDACTED:github_token]");
  for (size_t cut = 0; cut < token.size() + 10; ++cut) {
    Redactor r;
    EXPECT_EQ(Stream(r, "\x1b[1;32m" + token + "\x1b[0m", {cut}), "\x1b[1;32m[REDACTED:github_token]\x1b[0m");
  }
}

// --- 3. Sensitive names -------------------------------------------------------------------------

TEST(Redactor, SensitiveNamesCoverPatsPassesAndAuth) {
  for (const char* name : {"ANTHROPIC_API_KEY", "GITHUB_TOKEN", "client_secret", "PGPASSWORD", "SMTP_PASSWD",
                           "GH_PAT", "GITHUB_PAT", "DB_PASS", "MYSQL_PWD", "REDIS_PW", "SENTRY_DSN",
                           "GOOGLE_APPLICATION_CREDENTIALS", "SSH_PRIVATE_KEY", "SESSION_COOKIE", "AUTH",
                           "NPM_AUTH", "OAUTH_CLIENT", "HTTP_AUTHORIZATION", "gpg_passphrase", "BEARER"})
    EXPECT_TRUE(IsSensitiveName(name)) << name;
  for (const char* name : {"PATH", "PWD", "OLDPWD", "HOME", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "XAUTHORITY",
                           "DATABASE_URL", "PATTERN", "PASSAGE", "COMPASS", "DESKTOP_SESSION", "LANG", "TERM"})
    EXPECT_FALSE(IsSensitiveName(name)) << name;
}

TEST(Redactor, UrlPasswordsInAnyEnvValueAreSecrets) {
  auto s = Redactor::SecretsFromEnv({"DATABASE_URL=postgres://u:hunter2pass@db/x", "HOME=/root",
                                     "REDIS_URL=redis://:pw@cache:6379", "MIRROR=https://example.com/x"});
  ASSERT_EQ(s.size(), 1u);  // "pw" is under the minimum
  EXPECT_EQ(s[0], (std::pair<std::string, std::string>{"DATABASE_URL", "hunter2pass"}));
  Redactor r(s);
  EXPECT_EQ(r.Feed("connecting with hunter2pass to postgres://u:hunter2pass@db/x\n"),
            "connecting with [REDACTED:DATABASE_URL] to postgres://u:[REDACTED:url_password]@db/x\n");
}

// --- 4. Four-byte secrets -----------------------------------------------------------------------

TEST(Redactor, FourByteValuesOfSensitiveNamesAreSecrets) {
  auto s = Redactor::SecretsFromEnv({"DB_PASS=abcd", "X_KEY=abc"});
  ASSERT_EQ(s.size(), 1u);
  Redactor r(s);
  EXPECT_FALSE(r.empty());
  EXPECT_EQ(Stream(r, "login abcd / abc\n", {8}), "login [REDACTED:DB_PASS] / abc\n");
}

// --- 5. Credential shapes -----------------------------------------------------------------------

TEST(Redactor, EveryShapeIsRedactedWithoutEnvSecrets) {
  for (const auto& sample : ShapeSamples()) {
    EXPECT_EQ(RedactText(sample.text), sample.redacted);
    EXPECT_EQ(RedactText("key=" + sample.text + "\n"), "key=" + sample.redacted + "\n");
    EXPECT_EQ(RedactText("{\"k\":\"" + sample.text + "\"}"), "{\"k\":\"" + sample.redacted + "\"}");
  }
}

TEST(Redactor, EveryShapeIsRedactedAtEveryCutPosition) {
  for (const auto& sample : ShapeSamples()) {
    std::string text = "see " + sample.text + " now\n";
    std::string expected = "see " + sample.redacted + " now\n";
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      Redactor r;
      ASSERT_EQ(Stream(r, text, {cut}), expected) << sample.text << " cut at " << cut;
    }
    Redactor r;
    EXPECT_EQ(Bytewise(r, text), expected);
  }
}

TEST(Redactor, OrdinaryTextIsLeftAlone) {
  for (const char* text : {
           "PATH=/usr/local/bin:/usr/bin:/bin",
           "pip install scikit-learn  # a.k.a. sk-learn",
           "sk-learn-metrics-and-pipelines-tutorial",
           "mask-ant-colony-optimisation-2024",
           "run task-list and ask-me-anything",
           "eyJ",
           "eyJhbGciOiJIUzI1NiJ9 alone",
           "the header is eyJhbGciOiJIUzI1NiJ9.e30",
           "http://localhost:8080/path?q=1#x",
           "mail user@example.com or ssh://git@github.com:22/o/r.git",
           "AKIA123 and ghp_short and xoxb-abc and AIzaShort",
           "2024-01-01T12:34:56Z INFO request: done in 12ms",
           "{\"a\":1,\"b\":\"c:d@e\",\"url\":\"https://example.com:443/\"}",
           "xghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",  // no boundary before the prefix
           "-----BEGIN PRIVATE KEY-----\") { return; }",
           "-- dashes ----- and they said: ok",
       }) {
    EXPECT_EQ(RedactText(text), text);
    Redactor r;
    EXPECT_EQ(Bytewise(r, text), text);
  }
}

TEST(Redactor, UrlUserinfoOnlyThePasswordIsReplaced) {
  const std::string gh = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  EXPECT_EQ(RedactText("redis://:s3cr3t@cache:6379/0"), "redis://:[REDACTED:url_password]@cache:6379/0");
  EXPECT_EQ(RedactText("https://x-access-token:" + gh + "@github.com/o/r.git"),
            "https://x-access-token:[REDACTED:url_password]@github.com/o/r.git");
  EXPECT_EQ(RedactText("https://" + gh + ":x-oauth-basic@github.com"),
            "https://[REDACTED:github_token]:[REDACTED:url_password]@github.com");
  EXPECT_EQ(RedactText("amqp://u:p@ss:w0rd@mq/vhost"), "amqp://u:[REDACTED:url_password]@mq/vhost");
  EXPECT_EQ(RedactText("{\"dsn\":\"postgres://u:pw@db/x\",\"mail\":\"a@b.c\"}"),
            "{\"dsn\":\"postgres://u:[REDACTED:url_password]@db/x\",\"mail\":\"a@b.c\"}");
}

TEST(Redactor, AJwtKeepsTheFullStopAfterIt) {
  const std::string jwt = ShapeSamples()[16].text;
  ASSERT_EQ(jwt.substr(0, 3), "eyJ");
  EXPECT_EQ(RedactText("token: " + jwt + ". Next"), "token: [REDACTED:jwt]. Next");
  EXPECT_EQ(RedactText("unsigned: eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."), "unsigned: [REDACTED:jwt]");
}

TEST(Redactor, ATokenAtTheEndOfTheStreamIsReplacedByFlush) {
  Redactor r;
  EXPECT_EQ(r.Feed("key ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"), "key ");
  EXPECT_EQ(r.Flush(), "[REDACTED:github_token]");
}

// --- 6. Every stream needs a Redactor -------------------------------------------------------------

TEST(Redactor, WithoutEnvSecretsShapesAreStillRedacted) {
  Redactor r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.Feed("export OPENAI_API_KEY=sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678\n"),
            "export OPENAI_API_KEY=[REDACTED:openai_key]\n");
  EXPECT_EQ(r.Feed("plain text passes through untouched\n"), "plain text passes through untouched\n");
}

// --- 7. One-shot text and JSON --------------------------------------------------------------------

TEST(Redactor, RedactTextAppliesShapesAndSecrets) {
  EXPECT_EQ(RedactText("--token=abcd1234 --key=AKIAIOSFODNN7EXAMPLE", Secrets{{"MY_TOKEN", "abcd1234"}}),
            "--token=[REDACTED:MY_TOKEN] --key=[REDACTED:aws_access_key]");
  EXPECT_EQ(RedactText(""), "");
  EXPECT_EQ(RedactText("sk-"), "sk-");
  Redactor r(Secrets{{"MY_TOKEN", "abcd1234"}});
  EXPECT_EQ(r.Feed("abcd"), "");
  EXPECT_EQ(r.Redact("x abcd1234 y"), "x [REDACTED:MY_TOKEN] y");  // the stream is untouched
  EXPECT_EQ(r.Feed("1234\n"), "[REDACTED:MY_TOKEN]\n");
}

TEST(Redactor, RedactJsonRedactsEveryStringButNoKey) {
  auto j = nlohmann::json::parse(R"({
    "argv": ["claude", "--api-key", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123"],
    "env": {"sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123": "hunter2pass", "n": 3, "ok": true, "z": null},
    "nested": [{"deep": ["postgres://u:hunter2pass@db/x"]}]
  })");
  RedactJson(j, Secrets{{"DB_PASS", "hunter2pass"}});
  EXPECT_EQ(j["argv"][2], "[REDACTED:anthropic_key]");
  EXPECT_EQ(j["env"]["sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx0123"], "[REDACTED:DB_PASS]");  // key kept
  EXPECT_EQ(j["env"]["n"], 3);
  EXPECT_EQ(j["nested"][0]["deep"][0], "postgres://u:[REDACTED:url_password]@db/x");
  EXPECT_FALSE(ContainsRedaction(j["argv"][0].get<std::string>()));
  EXPECT_TRUE(ContainsRedaction(j.dump()));
  EXPECT_FALSE(ContainsRedaction("[REDACTED]"));
}

// --- Streaming and one-shot agree ------------------------------------------------------------------

TEST(Redactor, StreamingAgreesWithOneShotOnRandomTexts) {
  const Secrets secrets = {{"API_KEY", "Zq9vTx2LmR7w"}, {"DB_PASS", "hunter2pass"}, {"SHORT_PW", "Qx7!"},
                           {"GH_PAT", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"}};
  std::vector<std::string> pieces = {"Zq9vTx2", "LmR7w", "hunter", "2pass", "Qx", "7!", "sk-", "ant-", "api03-",
                                     "ghp_", "eyJ", ".", "://", "u:", "@", "host", "/", " ", "\n", "\r\n", "AKIA",
                                     "xoxb-", "AIza", "-----BEGIN ", "PRIVATE KEY-----", "-----END ", ":", "_", "-",
                                     "\"", "{", "}", "0123456789", "ABCDEFGH", "abcdefgh", "Sy"};
  for (const auto& e : Escapes()) pieces.push_back(e);
  for (const auto& s : ShapeSamples()) pieces.push_back(s.text);
  for (const auto& [name, value] : secrets) pieces.push_back(value);
  pieces.push_back("\x1b[");  // broken escapes
  pieces.push_back("\x1b]0;never-ended");
  pieces.push_back("\x1b");
  std::mt19937 rng(20240611);
  for (int iter = 0; iter < 4000; ++iter) {
    std::string text;
    int n = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int k = 0; k < n; ++k) {
      if (rng() % 8 == 0) {
        text.push_back(static_cast<char>(rng() % 256));
      } else {
        text += pieces[rng() % pieces.size()];
      }
    }
    std::string expected = RedactText(text, secrets);
    Redactor r(secrets);
    std::string out;
    if (iter % 4 == 0) {
      out = Bytewise(r, text);
    } else {
      size_t i = 0;
      while (i < text.size()) {
        size_t len = std::uniform_int_distribution<size_t>(0, 24)(rng);
        out += r.Feed(std::string_view(text).substr(i, len));
        ASSERT_LT(r.held(), r.max_held());
        i += len;
      }
      out += r.Flush();
    }
    ASSERT_EQ(out, expected) << "iteration " << iter << " text " << Printable(text);
    for (const auto& [name, value] : secrets)
      ASSERT_EQ(out.find(value), std::string::npos) << iter << " leaks " << name;
  }
}

}  // namespace
}  // namespace agentmux
