// Usage accounting without processes: the figures each kind of CLI reports, turned into a
// session's own usage and its conversation's running total, never counting a run twice.
#include "session/accounting.h"

#include <gtest/gtest.h>

namespace agentmux {
namespace {

Usage U(int64_t in, int64_t out) { return Usage{in, out, 0, 0}; }

TEST(Accounting, APerRunFigureAddsToWhatTheSessionAndConversationHad) {
  // Given a continued conversation whose parent used 100+10 tokens and $0.50
  SessionRecord parent;
  parent.usage = U(100, 10);
  parent.cost_usd = 0.5;
  SessionRecord s;
  UsageBase base = BaseForRun(s, &parent);
  // When this run reports 20+5 tokens and $0.10 for itself (Claude's `usage`, Gemini)
  AgentReport r;
  r.usage = U(20, 5);
  r.cost_usd = 0.1;
  // Then the session owns 25 tokens, the conversation 135
  EXPECT_TRUE(ApplyUsage(r, base, s));
  EXPECT_EQ(s.usage->total(), 25);
  EXPECT_EQ(s.conversation_usage->total(), 135);
  EXPECT_DOUBLE_EQ(*s.cost_usd, 0.1);
  EXPECT_DOUBLE_EQ(*s.conversation_cost_usd, 0.6);
}

TEST(Accounting, ACumulativeFigureCountsOnlyThisRunsShare) {
  // Given a conversation at 100+10 tokens and $0.50 (Codex reports the thread's total)
  SessionRecord parent;
  parent.usage = U(100, 10);
  parent.cost_usd = 0.5;
  SessionRecord s;
  UsageBase base = BaseForRun(s, &parent);
  AgentReport r;
  r.usage = U(130, 14);
  r.usage_cumulative = true;
  r.cost_usd = 0.75;
  r.cost_cumulative = true;
  EXPECT_TRUE(ApplyUsage(r, base, s));
  EXPECT_EQ(s.usage->total(), 34) << "30 + 4 of this run";
  EXPECT_EQ(s.conversation_usage->total(), 144);
  EXPECT_DOUBLE_EQ(*s.cost_usd, 0.25);
  EXPECT_DOUBLE_EQ(*s.conversation_cost_usd, 0.75);
}

TEST(Accounting, AResumedSessionKeepsWhatItUsedBeforeTheInterruption) {
  SessionRecord s;
  s.usage = U(40, 4);
  s.conversation_usage = U(40, 4);
  s.cost_usd = 0.2;
  s.conversation_cost_usd = 0.2;
  UsageBase base = BaseForRun(s, nullptr);
  AgentReport r;
  r.usage = U(10, 1);
  ApplyUsage(r, base, s);
  EXPECT_EQ(s.usage->total(), 55);
  EXPECT_EQ(s.conversation_usage->total(), 55);
  EXPECT_DOUBLE_EQ(*s.cost_usd, 0.2) << "no cost reported: unchanged";
}

TEST(Accounting, TheSameReportTwiceIsNotANewUsageEvent) {
  SessionRecord s;
  UsageBase base = BaseForRun(s, nullptr);
  AgentReport r;
  r.usage = U(10, 1);
  EXPECT_TRUE(ApplyUsage(r, base, s));
  EXPECT_FALSE(ApplyUsage(r, base, s));
  auto payload = UsagePayload(s, r);
  EXPECT_EQ(payload["input_tokens"], 10);
  EXPECT_EQ(payload["conversation_token_count"], 11);
}

TEST(Accounting, ACumulativeFigureBelowTheBaseNeverGoesNegative) {
  SessionRecord parent;
  parent.usage = U(100, 10);
  SessionRecord s;
  UsageBase base = BaseForRun(s, &parent);
  AgentReport r;
  r.usage = U(50, 5);  // a CLI that forgot the earlier runs
  r.usage_cumulative = true;
  ApplyUsage(r, base, s);
  EXPECT_EQ(s.usage->total(), 0);
  EXPECT_EQ(s.conversation_usage->total(), 110);
}

}  // namespace
}  // namespace agentmux

namespace agentmux {
namespace {

// Found by fuzz_agent_output: token counts near INT64_MAX summed across lines overflowed (undefined
// behaviour). Figures from agents saturate instead.
TEST(Accounting, HugeReportedFiguresSaturateInsteadOfOverflowing) {
  const int64_t huge = 9'000'000'000'000'000'000;
  SessionRecord s;
  s.usage = Usage{huge, huge, huge, huge};
  UsageBase base = BaseForRun(s, nullptr);
  AgentReport r;
  r.usage = Usage{huge, huge, 0, 0};
  ApplyUsage(r, base, s);
  EXPECT_EQ(s.usage->input_tokens, INT64_MAX);
  EXPECT_EQ(s.usage->total(), INT64_MAX);
  Usage negative{-huge, -huge, 0, 0};
  EXPECT_EQ((negative + negative).input_tokens, INT64_MIN);
}

}  // namespace
}  // namespace agentmux
