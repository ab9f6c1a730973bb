// Wall-clock helpers. All stored times are UTC. Log chunks store milliseconds since the Unix epoch
// (INTEGER); session and event rows store RFC 3339 text with milliseconds ("2026-11-22T03:06:00.123Z"),
// which sorts lexicographically in time order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace agentmux {

// Milliseconds since the Unix epoch, UTC (system clock).
int64_t NowMs();
// Monotonic milliseconds (steady clock), for durations and timeouts.
int64_t MonotonicMs();
// "2026-11-22T03:06:00.123Z" for `ms` since the epoch.
std::string Rfc3339(int64_t ms);
// Inverse of Rfc3339 (accepts the same shape, with or without milliseconds); nullopt if malformed.
std::optional<int64_t> ParseRfc3339(const std::string& text);

}  // namespace agentmux
