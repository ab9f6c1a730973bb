#include "model/state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

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

namespace agentmux {
namespace {

// The web UI keeps a copy of the state machine (web/src/data/status.ts, TRANSITIONS) to know what
// a status update may do; it once drifted (pending → failed allowed there, not here). This reads
// that table and checks it against Transition() over every action.
TEST(StateMachine, TheWebUisTransitionTableIsTheSameMachine) {
  std::ifstream in(std::string(AGENTMUX_SOURCE_DIR) + "/web/src/data/status.ts");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string ts = ss.str();
  size_t start = ts.find("const TRANSITIONS");
  ASSERT_NE(start, std::string::npos);
  std::string table = ts.substr(start, ts.find("};", start) - start);
  const SessionStatus all[] = {SessionStatus::kPending,   SessionStatus::kRunning, SessionStatus::kPaused,
                               SessionStatus::kCompleted, SessionStatus::kFailed,  SessionStatus::kCancelled,
                               SessionStatus::kInterrupted};
  const SessionAction actions[] = {SessionAction::kStart, SessionAction::kPause,     SessionAction::kResume,
                                   SessionAction::kComplete, SessionAction::kFail, SessionAction::kStop,
                                   SessionAction::kInterrupt};
  for (SessionStatus from : all) {
    std::set<std::string> ours;
    for (SessionAction a : actions)
      if (auto to = Transition(from, a); to.ok()) ours.insert(std::string(ToString(*to)));
    std::string key = "  " + std::string(ToString(from)) + ": [";
    size_t at = table.find(key);
    ASSERT_NE(at, std::string::npos) << ToString(from);
    std::string list = table.substr(at + key.size(), table.find(']', at) - at - key.size());
    std::set<std::string> theirs;
    for (size_t q = list.find('\''); q != std::string::npos; q = list.find('\'', list.find('\'', q + 1) + 1))
      theirs.insert(list.substr(q + 1, list.find('\'', q + 1) - q - 1));
    EXPECT_EQ(theirs, ours) << "from " << ToString(from) << " (web/src/data/status.ts vs src/model/state.cc)";
  }
}

}  // namespace
}  // namespace agentmux
