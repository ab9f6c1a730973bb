// Base64 (RFC 4648 §4, standard alphabet, with '=' padding): how raw log bytes travel in JSON.
// Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace agentmux {

std::string Base64Encode(std::string_view bytes);
// The bytes `text` encodes, or nullopt when it is not base64: a byte outside the alphabet, a
// length that is not a multiple of 4 (after ignoring nothing — no whitespace allowed), or padding
// anywhere but the end.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace agentmux
