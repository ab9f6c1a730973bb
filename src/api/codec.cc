#include "api/codec.h"

#include "base/base64.h"
#include "base/clock.h"

namespace agentmux {
using nlohmann::json;

json ChunkToJson(const LogChunk& c) {
  return {{"seq", c.seq}, {"offset", c.offset}, {"timestamp", Rfc3339(c.ts)}, {"ts_ms", c.ts},
          {"level", c.level}, {"data", Base64Encode(c.data)}};
}

std::string LogMessageText(const LogChunk& c) {
  std::string text;
  text.reserve(200 + c.data.size() / 3 * 4 + 4);
  text += R"({"type":"log","session_id":)" + json(c.session_id).dump();
  text += R"(,"seq":)" + std::to_string(c.seq);
  text += R"(,"offset":)" + std::to_string(c.offset);
  text += R"(,"timestamp":")" + Rfc3339(c.ts);
  text += R"(","ts_ms":)" + std::to_string(c.ts);
  text += R"(,"level":)" + json(c.level).dump();
  text += R"(,"data":")" + Base64Encode(c.data) + "\"}";
  return text;
}

int HttpStatusFor(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kInvalidArgument:
      return e.code == "bad_request" || e.code == "bad_json" || e.code == "bad_field" ? 400 : 422;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

ApiResponse JsonResponse(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ApiResponse ErrorResponse(const Error& e) {
  return JsonResponse(HttpStatusFor(e), {{"error", {{"code", e.code}, {"message", e.message}}}});
}

std::optional<int64_t> IntParam(const Query& q, const std::string& key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument(key);
    return v;
  } catch (...) {
    throw std::invalid_argument("query parameter '" + key + "' must be an integer");
  }
}

std::optional<std::string> StrParam(const Query& q, const std::string& key) {
  auto it = q.find(key);
  if (it == q.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

namespace {

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "null";
  }
}

[[noreturn]] void WrongType(const char* key, const char* want, const json& got) {
  throw FieldError(std::string("field '") + key + "' must be " + want + ", not " + TypeName(got));
}

}  // namespace

// Reads an optional field of type T, strictly: no conversion between JSON types (a "yes" is not a
// boolean, 1.5 is not an integer); null counts as absent. A present field of another type throws
// FieldError.
template <typename T>
std::optional<T> Field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  const json& v = *it;
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) WrongType(key, "a boolean (true or false)", v);
    return v.get<bool>();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)))
      WrongType(key, "an integer", v);
    return v.get<int64_t>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) WrongType(key, "a string", v);
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!v.is_array()) WrongType(key, "an array of strings", v);
    for (const auto& e : v)
      if (!e.is_string()) WrongType(key, "an array of strings", e);
    return v.get<std::vector<std::string>>();
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    if (!v.is_object()) WrongType(key, "an object of strings", v);
    for (const auto& [k, e] : v.items())
      if (!e.is_string()) WrongType(key, "an object of strings", e);
    return v.get<std::map<std::string, std::string>>();
  } else {
    static_assert(sizeof(T) == 0, "no reader for this field type");
  }
}

template std::optional<bool> Field<bool>(const json&, const char*);
template std::optional<int64_t> Field<int64_t>(const json&, const char*);
template std::optional<std::string> Field<std::string>(const json&, const char*);
template std::optional<std::vector<std::string>> Field<std::vector<std::string>>(const json&, const char*);
template std::optional<std::map<std::string, std::string>> Field<std::map<std::string, std::string>>(const json&, const char*);


}  // namespace agentmux
