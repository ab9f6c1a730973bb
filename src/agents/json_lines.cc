#include "agents/json_lines.h"

#include "base/json_access.h"

namespace agentmux {
using nlohmann::json;

std::string SummarizeToolInput(const json& input) {
  std::string text;
  if (input.is_string()) {
    text = input.get<std::string>();
  } else if (input.is_object()) {
    for (const char* key : {"command", "cmd", "file_path", "filePath", "path", "absolute_path", "pattern", "url", "query"}) {
      auto it = input.find(key);
      if (it == input.end()) continue;
      text = it->is_string() ? it->get<std::string>() : it->dump();
      break;
    }
    if (text.empty()) text = input.dump();
  } else if (!input.is_null()) {
    text = input.dump();
  }
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (text.size() > 300) {
    size_t cut = 297;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    text = text.substr(0, cut) + "...";
  }
  return text;
}

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

std::string Clip(std::string s, size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) {
    size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut) + "…";
  }
  return s;
}

std::string Tokens(int64_t in, int64_t out) {
  return "tokens in " + std::to_string(in) + " out " + std::to_string(out);
}

std::string JsonRenderer::Line(std::string_view line) {
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return "";
  json j = json::parse(line, nullptr, false);
  if (!j.is_object()) return EndText() + std::string(line) + "\n";
  delta_ = false;
  std::string out;
  try {
    out = Render(j);
  } catch (const std::exception&) {
    return EndText() + std::string(line) + "\n";  // shown as printed rather than not at all
  }
  if (out.empty()) return "";
  if (delta_) {  // continues the text line
    mid_text_ = out.back() != '\n';
    return out;
  }
  return EndText() + out;
}
}  // namespace agentmux
