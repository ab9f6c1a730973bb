#include "model/state.h"

#include <array>

namespace agentmux {
namespace {

constexpr std::array<std::string_view, 7> kStatusNames = {"pending", "running",   "paused",     "completed",
                                                          "failed",  "cancelled", "interrupted"};
constexpr std::array<SessionAction, 7> kAllActions = {SessionAction::kStart,    SessionAction::kPause,
                                                      SessionAction::kResume,   SessionAction::kComplete,
                                                      SessionAction::kFail,     SessionAction::kStop,
                                                      SessionAction::kInterrupt};

std::optional<SessionStatus> Next(SessionStatus from, SessionAction action) {
  using S = SessionStatus;
  using A = SessionAction;
  switch (action) {
    case A::kStart:
      if (from == S::kPending) return S::kRunning;
      break;
    case A::kPause:
      if (from == S::kRunning) return S::kPaused;
      break;
    case A::kResume:
      if (from == S::kPaused || from == S::kInterrupted) return S::kRunning;
      break;
    case A::kComplete:
      if (from == S::kRunning) return S::kCompleted;
      break;
    case A::kFail:
      if (from == S::kRunning || from == S::kPaused) return S::kFailed;
      break;
    case A::kStop:
      if (from == S::kPending || from == S::kRunning || from == S::kPaused) return S::kCancelled;
      break;
    case A::kInterrupt:
      if (from == S::kRunning || from == S::kPaused) return S::kInterrupted;
      break;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(SessionStatus s) { return kStatusNames[static_cast<size_t>(s)]; }

std::string_view ToString(SessionAction a) {
  switch (a) {
    case SessionAction::kStart: return "start";
    case SessionAction::kPause: return "pause";
    case SessionAction::kResume: return "resume";
    case SessionAction::kComplete: return "complete";
    case SessionAction::kFail: return "fail";
    case SessionAction::kStop: return "stop";
    case SessionAction::kInterrupt: return "interrupt";
  }
  return "?";
}

std::optional<SessionStatus> ParseSessionStatus(std::string_view text) {
  for (size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == text) return static_cast<SessionStatus>(i);
  return std::nullopt;
}

bool IsTerminal(SessionStatus s) {
  return s == SessionStatus::kCompleted || s == SessionStatus::kFailed || s == SessionStatus::kCancelled ||
         s == SessionStatus::kInterrupted;
}

Result<SessionStatus> Transition(SessionStatus from, SessionAction action) {
  if (auto to = Next(from, action)) return *to;
  std::string possible;
  for (SessionAction a : kAllActions) {
    // Only list what a user can ask for; complete/fail/interrupt are the daemon's own.
    if (a == SessionAction::kComplete || a == SessionAction::kFail || a == SessionAction::kInterrupt) continue;
    if (Next(from, a)) possible += (possible.empty() ? "" : ", ") + std::string(ToString(a));
  }
  std::string message = "cannot " + std::string(ToString(action)) + " a " + std::string(ToString(from)) +
                        " session";
  message += possible.empty() ? " (it has ended; `agentmux session view` shows how it ended)"
                              : " (possible now: " + possible + ")";
  return Error::Conflict("illegal_transition", message);
}

}  // namespace agentmux
