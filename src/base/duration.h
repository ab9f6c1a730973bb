// Durations as people type them ("90s", "5m", "1.5h", "1500ms", "30" = seconds) and as agentmux
// prints them. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace agentmux {

// The longest --timeout / timeout_ms accepted: 30 days, in ms.
inline constexpr int64_t kMaxTimeoutMs = 30LL * 24 * 3'600'000;

// → milliseconds; nullopt when malformed, ≤ 0 or over kMaxTimeoutMs.
std::optional<int64_t> ParseDuration(const std::string& text);
// 3600000 → "1h", 90000 → "90s", 1500 → "1500ms" (the largest whole unit).
std::string FormatDuration(int64_t ms);

}  // namespace agentmux
