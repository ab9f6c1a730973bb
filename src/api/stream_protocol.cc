#include "api/stream_protocol.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/api.h"

namespace agentmux {
using nlohmann::json;

namespace {

Error Bad(const std::string& message) { return Error::InvalidArgument("bad_message", message); }

}  // namespace

Result<ClientMessage> ParseClientMessage(std::string_view text) {
  json msg = json::parse(text, nullptr, false);
  if (!msg.is_object()) return Bad("messages are JSON objects with a \"type\"");
  auto field = [&](const char* key) -> const json* {
    auto it = msg.find(key);
    return it == msg.end() || it->is_null() ? nullptr : &*it;
  };
  ClientMessage out;
  const json* type = field("type");
  if (!type || !type->is_string()) return Bad("messages are JSON objects with a string \"type\"");
  out.type = type->get<std::string>();
  static const char* kTypes[] = {"subscribe", "unsubscribe", "watch", "unwatch", "input", "resize", "ping"};
  if (std::find(std::begin(kTypes), std::end(kTypes), out.type) == std::end(kTypes))
    return Bad("unknown message type '" + out.type.substr(0, 64) + "'");
  if (const json* sid = field("session_id")) {
    if (!sid->is_string()) return Bad("field 'session_id' must be a string");
    out.session_id = sid->get<std::string>();
  }
  if (out.type == "subscribe") {
    if (const json* since = field("since_seq")) {
      if (!since->is_number_integer() || (since->is_number_unsigned() && since->get<uint64_t>() > uint64_t(INT64_MAX)))
        return Bad("field 'since_seq' must be an integer");
      out.since_seq = std::max<int64_t>(0, since->get<int64_t>());
    }
    for (auto [key, dst] : {std::pair<const char*, bool*>{"logs", &out.logs}, {"transcript", &out.transcript}}) {
      const json* v = field(key);
      if (!v) continue;
      if (!v->is_boolean()) return Bad(std::string("field '") + key + "' must be a boolean");
      *dst = v->get<bool>();
    }
  } else if (out.type == "input") {
    if (const json* b64 = field("data_b64")) {
      if (!b64->is_string()) return Bad("field 'data_b64' must be a string");
      auto bytes = Base64Decode(b64->get<std::string>());
      if (!bytes) return Bad("field 'data_b64' is not base64");
      out.data = std::move(*bytes);
    } else if (const json* data = field("data")) {
      if (!data->is_string()) return Bad("field 'data' must be a string");
      out.data = data->get<std::string>();
    }
  } else if (out.type == "resize") {
    for (auto [key, dst] : {std::pair<const char*, int*>{"cols", &out.cols}, {"rows", &out.rows}}) {
      const json* v = field(key);
      if (!v || !v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > 1000)
        return Error::InvalidArgument("bad_size", "resize needs integer cols and rows from 1 to 1000");
      *dst = static_cast<int>(v->get<int64_t>());
    }
  }
  return out;
}

}  // namespace agentmux
