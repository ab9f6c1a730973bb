// Saturating integer arithmetic for figures that come from outside (token counts an agent reports):
// a sum that would overflow int64 stops at its limit instead of being undefined behaviour (found by
// fuzz_agent_output: 9e18 + 9e12 input tokens). Pure, thread-safe.
#pragma once

#include <cstdint>
#include <limits>

namespace agentmux {

inline int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

inline int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

}  // namespace agentmux
