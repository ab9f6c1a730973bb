#include "specs/specs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace agentmux {
namespace {
namespace fs = std::filesystem;

class SpecsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("agentmux-specs-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "specs" / "028-cli-ui-modernization");
    fs::create_directories(dir_ / "specs" / "320-session-context");
    Write(dir_ / "specs" / "028-cli-ui-modernization" / "README.md",
          "---\nstatus: planned\npriority: high\n---\n\n# CLI UI modernization\n\nMake the CLI nicer.\n");
    Write(dir_ / "specs" / "320-session-context" / "README.md", "# Session context\n\nSpecs as context.\n");
    Write(dir_ / "specs" / "007-flat-spec.md", "---\nstatus: complete\n---\n# Flat spec\nBody\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
  fs::path dir_;
};

TEST_F(SpecsTest, ListsBothLayoutsWithTitlesAndStatus) {
  auto specs = ListSpecs(dir_.string());
  ASSERT_EQ(specs.size(), 3u);
  EXPECT_EQ(specs[0].id, "007-flat-spec");
  EXPECT_EQ(specs[0].title, "Flat spec");
  EXPECT_EQ(specs[0].status, "complete");
  EXPECT_EQ(specs[1].id, "028-cli-ui-modernization");
  EXPECT_EQ(specs[1].title, "CLI UI modernization");
  EXPECT_EQ(specs[1].status, "planned");
}

TEST_F(SpecsTest, ResolvesByNumberPrefixAndFullId) {
  EXPECT_EQ(ResolveSpec(dir_.string(), "028")->id, "028-cli-ui-modernization");
  EXPECT_EQ(ResolveSpec(dir_.string(), "28")->id, "028-cli-ui-modernization");
  EXPECT_EQ(ResolveSpec(dir_.string(), "320-session-context")->id, "320-session-context");
  EXPECT_EQ(ResolveSpec(dir_.string(), "7")->id, "007-flat-spec");
}

TEST_F(SpecsTest, UnknownIdListsCloseMatches) {
  auto r = ResolveSpec(dir_.string(), "029");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unknown_spec");
  EXPECT_NE(r.error().message.find("028-cli-ui-modernization"), std::string::npos) << r.error().message;
  auto r2 = ResolveSpec(dir_.string(), "session-contxt");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("close matches: 320-session-context"), std::string::npos) << r2.error().message;
}

TEST_F(SpecsTest, ProjectWithoutSpecsSaysHowTheyAreLaidOut) {
  auto empty = fs::temp_directory_path() / ("agentmux-nospecs-" + std::to_string(::getpid()));
  fs::create_directories(empty);
  auto r = ResolveSpec(empty.string(), "028");
  fs::remove_all(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("specs/NNN-name/README.md"), std::string::npos);
}

TEST_F(SpecsTest, ContextHasSpecsInOrderThenPrompt) {
  auto a = *ResolveSpec(dir_.string(), "320");
  auto b = *ResolveSpec(dir_.string(), "028");
  std::string ctx = ComposeContext({a, b}, std::string("Fix all lint errors"));
  size_t pa = ctx.find("## Spec 320-session-context: Session context");
  size_t pb = ctx.find("## Spec 028-cli-ui-modernization: CLI UI modernization");
  size_t pp = ctx.find("## Prompt\n\nFix all lint errors\n");
  ASSERT_NE(pa, std::string::npos);
  ASSERT_NE(pb, std::string::npos);
  ASSERT_NE(pp, std::string::npos);
  EXPECT_LT(pa, pb);
  EXPECT_LT(pb, pp);
  EXPECT_NE(ctx.find("Make the CLI nicer."), std::string::npos);
}

TEST_F(SpecsTest, PromptOnlyContextIsJustThePrompt) {
  EXPECT_EQ(ComposeContext({}, std::string("create hello.txt")), "create hello.txt\n");
  EXPECT_EQ(ComposeContext({}, std::nullopt), "");
}

TEST(EditDistance, Basics) {
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("same", "same"), 0u);
}

}  // namespace
}  // namespace agentmux
