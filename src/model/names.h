// Session names (issue 16): short handles people type instead of ids ("brave-otter").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace agentmux {

// "adjective-animal" picked by `random` (any 64-bit value; 48 × 48 combinations). When `random`
// comes with `suffix` > 1 the name ends "-<suffix>" (used once the plain names run out).
std::string GeneratedName(uint64_t random, int suffix = 0);

// Why `name` cannot name a session, or nullopt when it can: 1–40 characters of letters, digits,
// '-', '_', '.', starting with a letter or digit; not "last"; not made only of hex digits and '-'
// (that would read as an id prefix).
std::optional<std::string> InvalidNameReason(const std::string& name);

}  // namespace agentmux
