#include "api/api.h"

#include <gtest/gtest.h>

#include "store/store.h"

namespace agentmux {
namespace {

// The WebSocket log message is appended by hand for speed; it must say exactly what the HTTP
// chunk JSON says, plus its type and session.
TEST(LogMessageText, IsChunkToJsonWithTypeAndSession) {
  LogChunk c;
  c.session_id = "01a2351f-f0cf-7000-8000-000000000001";
  c.seq = 42;
  c.offset = 123456789012;
  c.ts = 1764650000123;
  c.level = "pty";
  c.data = std::string("\x1b[32mok\x1b[0m \"quoted\" \\ \r\n\0\xff\xfe", 26);
  nlohmann::json expected = ChunkToJson(c);
  expected["type"] = "log";
  expected["session_id"] = c.session_id;
  nlohmann::json got = nlohmann::json::parse(LogMessageText(c));
  EXPECT_EQ(got, expected) << got.dump();
  EXPECT_EQ(Base64Decode(got["data"].get<std::string>()).value_or("<not base64>"), c.data);
}

}  // namespace
}  // namespace agentmux
