// Type-checked reads of untrusted JSON (agent output, request bodies, WebSocket messages).
//
// nlohmann::json's `j.value("k", "")` throws type_error.302 when the key holds another type, and
// `get<int64_t>()` of a double outside int64's range is undefined behaviour: one line such as
// {"type":5} from an agent once took the whole daemon down (issue 11). These helpers never throw:
// a missing key, a value of another type, or a `j` that is not an object gives the default.
// Thread-safe (pure functions); the returned references point into `j` or to static empties.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agentmux {

// j[key] when `j` is an object holding `key`, else a static null.
inline const nlohmann::json& JAt(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json null_value;
  if (!j.is_object()) return null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

// The string at `key`, or nullopt when absent or not a string.
inline std::optional<std::string> JText(const nlohmann::json& j, std::string_view key) {
  const auto& v = JAt(j, key);
  if (!v.is_string()) return std::nullopt;
  return v.get_ref<const std::string&>();
}

// The string at `key`, or `def` when absent or not a string.
inline std::string JStr(const nlohmann::json& j, std::string_view key, std::string_view def = "") {
  const auto& v = JAt(j, key);
  return v.is_string() ? v.get_ref<const std::string&>() : std::string(def);
}

// The boolean at `key`, or `def`.
inline bool JBool(const nlohmann::json& j, std::string_view key, bool def = false) {
  const auto& v = JAt(j, key);
  return v.is_boolean() ? v.get<bool>() : def;
}

// A JSON number as int64: integers as they are, floats truncated toward zero; `def` for NaN,
// infinities and values outside int64's range (never undefined behaviour).
inline int64_t JToInt(const nlohmann::json& v, int64_t def = 0) {
  if (v.is_number_integer()) return v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX) ? def : v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return def;
    return static_cast<int64_t>(d);
  }
  return def;
}

// The number at `key` as int64 (see JToInt), or `def`.
inline int64_t JInt(const nlohmann::json& j, std::string_view key, int64_t def = 0) { return JToInt(JAt(j, key), def); }

// The finite number at `key`, or `def`.
inline double JNum(const nlohmann::json& j, std::string_view key, double def = 0) {
  const auto& v = JAt(j, key);
  if (!v.is_number()) return def;
  double d = v.get<double>();
  return std::isfinite(d) ? d : def;
}

// The object at `key`, or a static empty object.
inline const nlohmann::json& JObj(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto& v = JAt(j, key);
  return v.is_object() ? v : empty;
}

// The array at `key`, or a static empty array.
inline const nlohmann::json& JArr(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::array();
  const auto& v = JAt(j, key);
  return v.is_array() ? v : empty;
}

}  // namespace agentmux
