// Fuzz target: decoding of the messages a WebSocket client sends, ParseClientMessage
// (src/api/stream_protocol.h) — untrusted text in, a typed ClientMessage or an error out.
//
// Input: the whole input is one message's text. Besides crashes, sanitizer reports and uncaught
// exceptions, a decoded message that breaks the documented contract aborts: a type outside the
// protocol's list, subscribe with since_seq < 0, resize with cols/rows outside 1..1000, an error
// that is not kInvalidArgument bad_message / bad_size.
#include <cstdint>
#include <string>
#include <string_view>

#include "api/stream_protocol.h"
#include "fuzz_util.h"

using agentmux_fuzz::Fail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto msg = agentmux::ParseClientMessage(text);
  if (!msg.ok()) {
    const auto& e = msg.error();
    if (e.kind != agentmux::ErrorKind::kInvalidArgument || (e.code != "bad_message" && e.code != "bad_size"))
      Fail("unexpected error from ParseClientMessage", e.code + ": " + e.message);
    return 0;
  }
  const auto& m = *msg;
  if (m.type == "subscribe") {
    if (m.since_seq < 0) Fail("subscribe with a negative since_seq", std::to_string(m.since_seq));
  } else if (m.type == "resize") {
    if (m.cols < 1 || m.cols > 1000 || m.rows < 1 || m.rows > 1000)
      Fail("resize outside 1..1000", std::to_string(m.cols) + "x" + std::to_string(m.rows));
  } else if (m.type != "unsubscribe" && m.type != "watch" && m.type != "unwatch" && m.type != "input" &&
             m.type != "ping") {
    Fail("a message type outside the protocol", m.type);
  }
  return 0;
}
