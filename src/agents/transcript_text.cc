#include "agents/transcript_text.h"

#include <cstdio>

#include "agents/transcript.h"
#include "base/json_access.h"

namespace agentmux {
using nlohmann::json;

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

PrintedText TranscriptPrinter::Apply(const json& update) {
  const json& index = JAt(update, "index");
  if (!index.is_number_unsigned() || !JAt(update, "item").is_object()) return {};
  return Apply(index.get<size_t>(), update["item"]);
}

PrintedText TranscriptPrinter::Apply(size_t index, const json& item) {
  PrintedText p;
  bool replace = index < shown_.size();
  std::string kind = JStr(item, "kind");
  if (kind == "text" && JStr(item, "role") == "assistant") {
    std::string text = JStr(item, "text");
    const std::string old = replace ? shown_[index] : "";
    if (replace && text.compare(0, old.size(), old) == 0) {
      // A streamed message grew: print what was added, on its own line if another item came between.
      if (open_ != index) p.out += Close();
      p.out += text.substr(old.size());
    } else {
      p.out += Close() + text;
    }
    if (replace) shown_[index] = text;
    else shown_.push_back(text);
    open_ = index;
    last_text_ = text;
    return p;
  }
  if (replace) {
    shown_[index].clear();
    return p;
  }
  shown_.push_back("");
  if (kind == "raw" && JStr(item, "stream") == "stderr") {
    p.err = JStr(item, "text") + "\n";  // stderr does not end a line of stdout
    return p;
  }
  if (std::string line = Line(item); !line.empty()) p.out = Close() + line;
  return p;
}

std::string TranscriptPrinter::Close() {
  if (!open_) return "";
  bool needs_newline = *open_ < shown_.size() && !shown_[*open_].empty() && shown_[*open_].back() != '\n';
  open_.reset();
  return needs_newline ? "\n" : "";
}

std::string TranscriptPrinter::Line(const json& item) const {
  std::string kind = JStr(item, "kind");
  if (kind == "init") {
    std::string line = "● " + JStr(item, "agent", "agent");
    if (auto v = JText(item, "version")) line += " " + *v;
    if (auto m = JText(item, "model")) line += " · model " + *m;
    if (auto c = JText(item, "conversation_id")) line += " · conversation " + *c;
    return line + "\n";
  }
  if (kind == "tool_use") {
    std::string summary = JText(item, "summary").value_or(SummarizeToolInput(JAt(item, "input")));
    return "→ " + JStr(item, "name", "tool") + "(" + summary + ")\n";
  }
  if (kind == "tool_result")
    return (JBool(item, "is_error") ? "✗ " : "← ") + Clip(JStr(item, "content"), 200) + "\n";
  if (kind == "result") {
    bool failed = JBool(item, "is_error");
    std::string line = failed ? "✗ failed" : "✓ done";
    // The answer was printed as the assistant's text already; a failure's words may be new.
    if (std::string text = JStr(item, "text"); !text.empty() && text != last_text_) line += ": " + Clip(text, 500);
    if (auto turns = OptInt(item, "num_turns")) line += " · turns " + std::to_string(*turns);
    if (const json& u = JAt(item, "usage"); u.is_object())
      line += " · tokens in " + std::to_string(JInt(u, "input_tokens")) + " out " + std::to_string(JInt(u, "output_tokens"));
    if (auto cost = OptNum(item, "cost_usd")) {
      char text[32];
      std::snprintf(text, sizeof text, " · cost $%.4f", *cost);
      line += text;
    }
    if (auto note = JText(item, "note"); note && !note->empty()) line += " (" + *note + ")";
    return line + "\n";
  }
  if (kind == "system") {
    std::string text = JStr(item, "text");
    return "· " + JStr(item, "subtype", "system") + (text.empty() ? "" : ": " + Clip(text, 300)) + "\n";
  }
  if (kind == "error") return "✗ " + Clip(JStr(item, "text", "error"), 500) + "\n";
  if (kind == "raw") return JStr(item, "text") + "\n";
  return "";  // thinking, the user's own words, kinds of a newer daemon
}

}  // namespace agentmux
