// Decoding of the messages a WebSocket client sends (docs/protocol.md, DESIGN §6): untrusted text
// in, a typed ClientMessage or a clear error out. Pure functions, no Beast types, thread-safe.
//
//   {"type":"subscribe","session_id":ID|prefix,"since_seq":N≥0,"logs":bool,"transcript":bool}
//   {"type":"unsubscribe","session_id":ID}
//   {"type":"watch"} / {"type":"unwatch"}                 every session's status changes
//   {"type":"input","session_id":ID,"data":text | "data_b64":base64}   keystrokes to a PTY
//   {"type":"resize","session_id":ID,"cols":1..1000,"rows":1..1000}
//   {"type":"ping"}
// session_id may be omitted when the connection is subscribed to exactly one session.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace agentmux {

struct ClientMessage {
  std::string type;        // one of the types above
  std::string session_id;  // "" when absent
  int64_t since_seq = 0;   // subscribe: replay chunks after this seq
  bool logs = true;        // subscribe: false = no log messages
  bool transcript = false; // subscribe: also `transcript` messages (api/transcript_stream.h)
  std::string data;        // input: the bytes to type (decoded when sent as data_b64)
  int cols = 0, rows = 0;  // resize
};

// Errors (kInvalidArgument): "bad_message" (not a JSON object, no string "type", an unknown type,
// a field of the wrong type — the message names it), "bad_size" (resize outside 1..1000).
Result<ClientMessage> ParseClientMessage(std::string_view text);

}  // namespace agentmux
