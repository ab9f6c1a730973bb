// Session ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by
// creation time and any unique prefix names a session.
#pragma once

#include <cstddef>
#include <string>

namespace agentmux {

// A new lowercase hyphenated UUIDv7, e.g. "019a8b2e-7c4a-7d31-9f02-5b6c1e2d3a4f".
std::string NewUuidV7();
// A new random (v4) UUID, for ids handed to agents (e.g. `claude --session-id`).
std::string NewUuidV4();
// `bytes` random bytes (getrandom(2)) as 2×bytes lowercase hex characters: tokens.
std::string RandomHex(size_t bytes);
// True for the 8-4-4-4-12 lowercase/uppercase hex shape.
bool LooksLikeUuid(const std::string& text);

}  // namespace agentmux
