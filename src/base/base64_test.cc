#include "base/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace agentmux {
namespace {

TEST(Base64, MatchesTheRfc4648TestVectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, coded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), coded);
    EXPECT_EQ(Base64Decode(coded), plain);
  }
}

TEST(Base64, EveryByteValueSurvivesARoundTrip) {
  std::mt19937 rng(7);
  for (int n = 0; n < 300; ++n) {
    std::string bytes(static_cast<size_t>(n), '\0');
    for (auto& b : bytes) b = static_cast<char>(rng());
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes);
  }
}

TEST(Base64, MalformedTextIsRefusedNotGuessed) {
  for (const char* bad : {"Zg=", "Zm9v!A==", "Z===", "=Zm9", "Zg==Zg==", "Zm 9v", "Zm9v\n"})
    EXPECT_FALSE(Base64Decode(bad)) << bad;
}

}  // namespace
}  // namespace agentmux
