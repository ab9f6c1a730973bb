#include "model/state.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace agentmux {
namespace {

using S = SessionStatus;
using A = SessionAction;

// The whole table of DESIGN §3: every (status, action) pair that is legal, and where it leads.
const std::map<std::pair<S, A>, S> kLegal = {
    {{S::kPending, A::kStart}, S::kRunning},       {{S::kRunning, A::kPause}, S::kPaused},
    {{S::kPaused, A::kResume}, S::kRunning},       {{S::kInterrupted, A::kResume}, S::kRunning},
    {{S::kRunning, A::kComplete}, S::kCompleted},  {{S::kRunning, A::kFail}, S::kFailed},
    {{S::kPaused, A::kFail}, S::kFailed},          {{S::kPending, A::kStop}, S::kCancelled},
    {{S::kRunning, A::kStop}, S::kCancelled},      {{S::kPaused, A::kStop}, S::kCancelled},
    {{S::kRunning, A::kInterrupt}, S::kInterrupted}, {{S::kPaused, A::kInterrupt}, S::kInterrupted},
};

TEST(StateMachine, EveryPairIsLegalExactlyAsTheDesignSays) {
  const S statuses[] = {S::kPending, S::kRunning, S::kPaused, S::kCompleted, S::kFailed, S::kCancelled, S::kInterrupted};
  const A actions[] = {A::kStart, A::kPause, A::kResume, A::kComplete, A::kFail, A::kStop, A::kInterrupt};
  int legal = 0, illegal = 0;
  for (S from : statuses) {
    for (A action : actions) {
      auto result = Transition(from, action);
      auto it = kLegal.find({from, action});
      if (it != kLegal.end()) {
        ASSERT_TRUE(result.ok()) << ToString(from) << " --" << ToString(action);
        EXPECT_EQ(*result, it->second);
        ++legal;
      } else {
        ASSERT_FALSE(result.ok()) << ToString(from) << " --" << ToString(action) << " should be illegal";
        EXPECT_EQ(result.error().code, "illegal_transition");
        EXPECT_EQ(result.error().kind, ErrorKind::kConflict);
        ++illegal;
      }
    }
  }
  EXPECT_EQ(legal, 12);
  EXPECT_EQ(illegal, 7 * 7 - 12);
}

TEST(StateMachine, IllegalTransitionSaysWhatIsPossible) {
  auto r = Transition(S::kCompleted, A::kPause);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot pause a completed session"), std::string::npos) << r.error().message;
  auto r2 = Transition(S::kRunning, A::kStart);
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("pause, stop"), std::string::npos) << r2.error().message;
}

TEST(StateMachine, TerminalStatuses) {
  EXPECT_FALSE(IsTerminal(S::kPending));
  EXPECT_FALSE(IsTerminal(S::kRunning));
  EXPECT_FALSE(IsTerminal(S::kPaused));
  EXPECT_TRUE(IsTerminal(S::kCompleted));
  EXPECT_TRUE(IsTerminal(S::kFailed));
  EXPECT_TRUE(IsTerminal(S::kCancelled));
  EXPECT_TRUE(IsTerminal(S::kInterrupted));
}

TEST(StateMachine, NamesRoundTrip) {
  for (auto name : {"pending", "running", "paused", "completed", "failed", "cancelled", "interrupted"}) {
    auto s = ParseSessionStatus(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(ToString(*s), name);
  }
  EXPECT_FALSE(ParseSessionStatus("done").has_value());
}

}  // namespace
}  // namespace agentmux
