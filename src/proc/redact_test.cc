#include "proc/redact.h"

#include <gtest/gtest.h>

namespace agentmux {
namespace {

const std::string kKey = "sk-ant-api03-SECRETSECRET";
using Secrets = std::vector<std::pair<std::string, std::string>>;

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
    std::string out = r.Feed(text.substr(0, cut));
    out += r.Feed(text.substr(cut));
    out += r.Flush();
    EXPECT_EQ(out, "before [REDACTED:ANTHROPIC_API_KEY] after") << "cut at " << cut;
  }
}

TEST(Redactor, ByteByByteStillRedacts) {
  Redactor r(Secrets{{"TOKEN", kKey}});
  std::string text = "x" + kKey + "y", out;
  for (char c : text) out += r.Feed(std::string(1, c));
  out += r.Flush();
  EXPECT_EQ(out, "x[REDACTED:TOKEN]y");
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
}

TEST(Redactor, ShortValuesAreNotSecrets) {
  Redactor r(Secrets{{"API_KEY", "test"}});
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.Feed("this is a test\n"), "this is a test\n");
}

TEST(Redactor, SecretsComeFromSensitiveEnvNames) {
  auto s = Redactor::SecretsFromEnv({"PATH=/usr/bin", "ANTHROPIC_API_KEY=" + kKey, "GITHUB_TOKEN=ghp_123456789",
                                     "MY_PASSWORD=short", "DB_SECRET=abcdefgh", "HOME=/root"});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].first, "ANTHROPIC_API_KEY");
  EXPECT_EQ(s[1].first, "GITHUB_TOKEN");
  EXPECT_EQ(s[2].first, "DB_SECRET");
}

}  // namespace
}  // namespace agentmux
