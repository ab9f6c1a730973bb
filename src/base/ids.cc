#include "base/ids.h"

#include <sys/random.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "base/clock.h"

namespace agentmux {
namespace {

std::string Format(const std::array<uint8_t, 16>& b) {
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

void FillRandom(uint8_t* data, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = getrandom(data + got, size - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
}

std::array<uint8_t, 16> RandomBytes() {
  std::array<uint8_t, 16> b{};
  FillRandom(b.data(), b.size());
  return b;
}

}  // namespace

std::string RandomHex(size_t bytes) {
  std::vector<uint8_t> b(bytes);
  FillRandom(b.data(), b.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (uint8_t x : b) out += {hex[x >> 4], hex[x & 15]};
  return out;
}

std::string NewUuidV7() {
  auto b = RandomBytes();
  uint64_t ms = static_cast<uint64_t>(NowMs());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x70);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return Format(b);
}

std::string NewUuidV4() {
  auto b = RandomBytes();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  return Format(b);
}

bool LooksLikeUuid(const std::string& t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : !std::isxdigit(static_cast<unsigned char>(t[i]))) return false;
  }
  return true;
}

}  // namespace agentmux
