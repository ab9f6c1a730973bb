#include "agents/json_lines.h"

#include "base/json_access.h"

namespace agentmux {
using nlohmann::json;

bool JsonLinesParser::Feed(std::string_view bytes) {
  bool changed = false;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    if (partial_.empty()) {
      changed |= ParseLine(bytes.substr(start, i - start));
    } else {
      partial_.append(bytes.substr(start, i - start));
      changed |= ParseLine(partial_);
      partial_.clear();
    }
    start = i + 1;
  }
  partial_.append(bytes.substr(start));
  if (partial_.size() > (64u << 20)) partial_.clear();
  return changed;
}

bool JsonLinesParser::Finish() {
  if (partial_.empty()) return false;
  std::string line = std::move(partial_);
  partial_.clear();
  return ParseLine(line);
}

bool JsonLinesParser::ParseLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.front() != '{') return false;
  json j = json::parse(line, nullptr, false);
  if (!j.is_object()) return false;
  // Agent output is untrusted: a parser bug on an odd line costs that line, never the session or
  // the daemon. The session's events say what could not be read.
  try {
    return OnJson(j);
  } catch (const std::exception& e) {
    Emit("parse_error", {{"message", std::string("could not read a line of the agent's output: ") + e.what()},
                         {"line", std::string(line.substr(0, 300))}});
    return false;
  }
}

}  // namespace agentmux
