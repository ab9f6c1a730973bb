#include "mcp/protocol.h"

#include <algorithm>

namespace agentmux::mcp {
using nlohmann::json;

std::string NegotiateVersion(const std::string& requested) {
  const auto& v = ProtocolVersions();
  return std::find(v.begin(), v.end(), requested) != v.end() ? requested : v.front();
}

MessageKind Classify(const json& m) {
  if (!m.is_object() || m.value("jsonrpc", json()) != "2.0") return MessageKind::kInvalid;
  bool has_id = m.contains("id") && (m["id"].is_string() || m["id"].is_number_integer());
  if (m.contains("method")) {
    if (!m["method"].is_string()) return MessageKind::kInvalid;
    if (m.contains("params") && !m["params"].is_object() && !m["params"].is_array()) return MessageKind::kInvalid;
    if (m.contains("id")) return has_id ? MessageKind::kRequest : MessageKind::kInvalid;
    return MessageKind::kNotification;
  }
  if (has_id && (m.contains("result") || m.contains("error"))) return MessageKind::kResponse;
  return MessageKind::kInvalid;
}

json Response(const json& id, json result) { return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}; }

json ErrorMessage(const json& id, int code, const std::string& message, json data) {
  json error = {{"code", code}, {"message", message}};
  if (!data.is_null()) error["data"] = std::move(data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json Notification(const std::string& method, json params) {
  return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

namespace {

std::string TypeOf(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "unknown";
  }
}

bool IsType(const json& v, const std::string& type) {
  std::string t = TypeOf(v);
  if (type == "number") return t == "number" || t == "integer";
  if (type == "integer" && t == "number") {
    double d = v.get<double>();
    return d == static_cast<double>(static_cast<int64_t>(d));
  }
  return t == type;
}

std::string Where(const std::string& path) { return path.empty() ? "arguments" : path; }

}  // namespace

std::optional<std::string> SchemaViolation(const json& schema, const json& value, const std::string& path) {
  if (!schema.is_object()) return std::nullopt;
  if (schema.contains("type")) {
    const json& t = schema["type"];
    std::vector<std::string> types;
    if (t.is_string()) types.push_back(t.get<std::string>());
    else if (t.is_array())
      for (const auto& x : t)
        if (x.is_string()) types.push_back(x.get<std::string>());
    bool ok = types.empty() || std::any_of(types.begin(), types.end(), [&](const std::string& ty) { return IsType(value, ty); });
    if (!ok) {
      std::string want;
      for (const auto& ty : types) want += (want.empty() ? "" : " or ") + ty;
      return Where(path) + ": must be " + (want == "integer" || want == "object" || want == "array" ? "an " : "a ") +
             want + ", got " + TypeOf(value);
    }
  }
  if (schema.contains("enum") && schema["enum"].is_array()) {
    const json& e = schema["enum"];
    if (std::find(e.begin(), e.end(), value) == e.end()) {
      std::string options;
      for (const auto& x : e) options += (options.empty() ? "" : ", ") + x.dump();
      return Where(path) + ": must be one of " + options + ", got " + value.dump();
    }
  }
  // A keyword whose value is not a number is ignored (the schema, not the value, is wrong).
  auto number = [&](const char* key) -> std::optional<double> {
    if (!schema.contains(key) || !schema[key].is_number()) return std::nullopt;
    return schema[key].get<double>();
  };
  if (value.is_number()) {
    if (auto min = number("minimum"); min && value.get<double>() < *min)
      return Where(path) + ": must be at least " + schema["minimum"].dump();
    if (auto max = number("maximum"); max && value.get<double>() > *max)
      return Where(path) + ": must be at most " + schema["maximum"].dump();
  }
  if (value.is_array()) {
    if (auto min = number("minItems"); min && static_cast<double>(value.size()) < *min)
      return Where(path) + ": needs at least " + schema["minItems"].dump() + " item(s)";
    if (auto max = number("maxItems"); max && static_cast<double>(value.size()) > *max)
      return Where(path) + ": takes at most " + schema["maxItems"].dump() + " items";
    if (schema.contains("items"))
      for (size_t i = 0; i < value.size(); ++i)
        if (auto v = SchemaViolation(schema["items"], value[i], Where(path) + "[" + std::to_string(i) + "]")) return v;
  }
  if (value.is_object()) {
    const json props = schema.contains("properties") && schema["properties"].is_object() ? schema["properties"]
                                                                                         : json::object();
    if (schema.contains("required") && schema["required"].is_array())
      for (const auto& r : schema["required"])
        if (r.is_string() && (!value.contains(r.get<std::string>())))
          return (path.empty() ? "" : path + ".") + r.get<std::string>() + ": is required";
    bool closed = schema.contains("additionalProperties") && schema["additionalProperties"] == json(false);
    for (const auto& [key, v] : value.items()) {
      std::string sub = path.empty() ? key : path + "." + key;
      if (props.contains(key)) {
        if (auto bad = SchemaViolation(props[key], v, sub)) return bad;
      } else if (closed) {
        std::string known;
        for (const auto& [k, _] : props.items()) known += (known.empty() ? "" : ", ") + k;
        return sub + ": unknown argument (known: " + known + ")";
      }
    }
  }
  return std::nullopt;
}

}  // namespace agentmux::mcp
