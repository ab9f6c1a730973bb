#include "model/names.h"

#include <gtest/gtest.h>

#include <set>

#include "model/session.h"

namespace agentmux {
namespace {

TEST(NamesTest, GeneratedNamesAreValidAndVaried) {
  std::set<std::string> seen;
  for (uint64_t r = 0; r < 48 * 48; ++r) {
    std::string n = GeneratedName(r);
    EXPECT_EQ(InvalidNameReason(n), std::nullopt) << n;
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), 48u * 48u);
  EXPECT_EQ(GeneratedName(0, 3), GeneratedName(0) + "-3");
}

TEST(NamesTest, NamesThatWouldReadAsSomethingElseAreRefused) {
  EXPECT_NE(InvalidNameReason(""), std::nullopt);
  EXPECT_NE(InvalidNameReason("last"), std::nullopt);
  EXPECT_NE(InvalidNameReason("cafe-01"), std::nullopt);  // an id prefix
  EXPECT_NE(InvalidNameReason("-1"), std::nullopt);
  EXPECT_NE(InvalidNameReason("a b"), std::nullopt);
  EXPECT_NE(InvalidNameReason(std::string(41, 'x')), std::nullopt);
  EXPECT_EQ(InvalidNameReason("fix-login.v2"), std::nullopt);
}

TEST(NamesTest, ShortIdIsTheRandomEnd) {
  EXPECT_EQ(ShortId("0193a1b2-c3d4-7e5f-8a6b-8c3f9a2c1b7e"), "8c3f9a2c");
  EXPECT_EQ(ShortId("short"), "short");
}

}  // namespace
}  // namespace agentmux
