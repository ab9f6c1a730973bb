// What every CLI's transcript builder shares (transcript.h): the items' wire shape, the line
// handling, tool names and deltas, and the feed that cuts a log's chunks into lines.
#include "agents/transcript.h"

#include <cmath>

#include "base/json_access.h"
#include "base/saturating.h"

namespace agentmux {
using nlohmann::json;

namespace {

// A non-empty string, or a non-empty list of strings joined by spaces; else "".
std::string Words(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_array() || v.empty()) return "";
  std::string out;
  for (const auto& part : v) {
    if (!part.is_string()) return "";
    out += (out.empty() ? "" : " ") + part.get<std::string>();
  }
  return out;
}

json OrNull(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }
json OrNull(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }
json OrNull(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

std::string SummarizeToolInput(const json& input) {
  std::string text;
  if (input.is_string()) {
    text = input.get<std::string>();
  } else if (input.is_object()) {
    for (const char* key : {"command", "cmd", "file_path", "filePath", "path", "absolute_path", "pattern", "url", "query",
                            "description", "prompt"}) {
      text = Words(JAt(input, key));
      if (!text.empty()) break;
    }
    if (text.empty()) {  // a Codex patch: {changes: [{kind, path}]}
      for (const auto& c : JArr(input, "changes")) {
        std::string file = JStr(c, "kind");
        if (std::string path = JStr(c, "path"); !path.empty()) file += (file.empty() ? "" : " ") + path;
        if (!file.empty()) text += (text.empty() ? "" : ", ") + file;
      }
    }
    if (text.empty()) text = input.dump(-1, ' ', false, json::error_handler_t::replace);
  } else if (!input.is_null()) {
    text = input.dump(-1, ' ', false, json::error_handler_t::replace);
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

const char* ToString(ItemKind kind) {
  switch (kind) {
    case ItemKind::kInit: return "init";
    case ItemKind::kText: return "text";
    case ItemKind::kThinking: return "thinking";
    case ItemKind::kToolUse: return "tool_use";
    case ItemKind::kToolResult: return "tool_result";
    case ItemKind::kResult: return "result";
    case ItemKind::kSystem: return "system";
    case ItemKind::kError: return "error";
    case ItemKind::kRaw: return "raw";
  }
  return "raw";
}

namespace {
TranscriptItem Make(ItemKind kind, std::string text = "") {
  TranscriptItem it;
  it.kind = kind;
  it.text = std::move(text);
  return it;
}
}  // namespace

TranscriptItem TranscriptItem::Init(std::string agent, std::optional<std::string> conversation_id) {
  TranscriptItem it = Make(ItemKind::kInit);
  it.agent = std::move(agent);
  it.conversation_id = std::move(conversation_id);
  return it;
}
TranscriptItem TranscriptItem::Text(std::string role, std::string text) {
  TranscriptItem it = Make(ItemKind::kText, std::move(text));
  it.role = std::move(role);
  return it;
}
TranscriptItem TranscriptItem::Thinking(std::string text) { return Make(ItemKind::kThinking, std::move(text)); }
TranscriptItem TranscriptItem::Error(std::string text) { return Make(ItemKind::kError, std::move(text)); }
TranscriptItem TranscriptItem::System(std::string subtype, std::string text) {
  TranscriptItem it = Make(ItemKind::kSystem, std::move(text));
  it.subtype = std::move(subtype);
  return it;
}
TranscriptItem TranscriptItem::Raw(std::string stream, std::string text) {
  TranscriptItem it = Make(ItemKind::kRaw, std::move(text));
  it.stream = std::move(stream);
  return it;
}
TranscriptItem TranscriptItem::Result(std::string subtype, bool is_error) {
  TranscriptItem it = Make(ItemKind::kResult);
  it.subtype = std::move(subtype);
  it.is_error = is_error;
  return it;
}

json TranscriptItem::ToJson() const {
  json j = {{"kind", ToString(kind)}};
  switch (kind) {
    case ItemKind::kInit:
      j.update({{"agent", agent}, {"model", OrNull(model)}, {"cwd", OrNull(cwd)}, {"tools", tools},
                {"version", OrNull(version)}, {"conversation_id", OrNull(conversation_id)}});
      break;
    case ItemKind::kText: j.update({{"role", role}, {"text", text}}); break;
    case ItemKind::kThinking:
    case ItemKind::kError: j["text"] = text; break;
    case ItemKind::kToolUse:
      j.update({{"id", id}, {"name", name}, {"input", input}, {"summary", SummarizeToolInput(input)}});
      break;
    case ItemKind::kToolResult:
      j.update({{"tool_use_id", id}, {"tool_name", OrNull(tool_name)}, {"content", text}, {"is_error", is_error}});
      break;
    case ItemKind::kResult: {
      json u = nullptr;
      if (usage)
        u = {{"input_tokens", OrNull(usage->input_tokens)}, {"output_tokens", OrNull(usage->output_tokens)},
             {"cache_read_tokens", OrNull(usage->cache_read_tokens)},
             {"cache_creation_tokens", OrNull(usage->cache_creation_tokens)}};
      j.update({{"subtype", subtype}, {"is_error", is_error}, {"num_turns", OrNull(num_turns)},
                {"duration_ms", OrNull(duration_ms)}, {"cost_usd", OrNull(cost_usd)}, {"usage", u},
                {"text", OrNull(result_text)}, {"conversation_id", OrNull(conversation_id)}, {"note", OrNull(note)}});
      break;
    }
    case ItemKind::kSystem: j.update({{"subtype", subtype}, {"text", text}}); break;
    case ItemKind::kRaw: j.update({{"stream", stream}, {"text", text}}); break;
  }
  return j;
}

json TranscriptUpdate::ToJson() const { return {{"index", index}, {"item", item.ToJson()}}; }

json ToJson(const std::vector<TranscriptItem>& items) {
  json out = json::array();
  for (const auto& it : items) out.push_back(it.ToJson());
  return out;
}

json ToJson(const std::vector<TranscriptUpdate>& updates) {
  json out = json::array();
  for (const auto& u : updates) out.push_back(u.ToJson());
  return out;
}

std::string ContentText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return "";
  if (!content.is_array()) return content.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  bool first = true;
  for (const auto& block : content) {
    std::string part;
    if (auto text = JText(block, "text")) part = *text;
    else if (block.is_string()) part = block.get<std::string>();
    else if (JStr(block, "type") == "image") part = "[image]";
    else part = block.dump(-1, ' ', false, json::error_handler_t::replace);
    out += (first ? "" : "\n") + part;
    first = false;
  }
  return out;
}

std::optional<int64_t> OptInt(const json& j, std::string_view key) {
  const json& v = JAt(j, key);
  if (!v.is_number()) return std::nullopt;
  return JToInt(v);
}

std::optional<double> OptNum(const json& j, std::string_view key) {
  if (!JAt(j, key).is_number()) return std::nullopt;
  return JNum(j, key);
}

std::string NumberText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<int64_t>(d));
  }
  return v.is_number() ? v.dump() : "";
}

std::optional<int64_t> Sum(std::optional<int64_t> a, std::optional<int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return SatAdd(*a, *b);
}

std::vector<TranscriptUpdate> TranscriptBuilder::Line(std::string_view stream, std::string_view line) {
  std::set<size_t> changed;
  Line(stream, line, changed);
  return Updates(changed);
}

void TranscriptBuilder::Line(std::string_view stream, std::string_view line, std::set<size_t>& changed) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) return;
  changed_ = &changed;
  json event;
  size_t start = line.find_first_not_of(" \t");
  if (stream != "stderr" && line[start] == '{') event = json::parse(line, nullptr, false);
  bool known = false;
  if (event.is_object() && JAt(event, "type").is_string()) {
    // Agent output is untrusted: a line a builder cannot read costs that line, shown as printed.
    try {
      known = OnEvent(event);
    } catch (const std::exception&) {
      known = false;
    }
  }
  if (!known) Emit(TranscriptItem::Raw(std::string(stream), std::string(line)));
  changed_ = nullptr;
}

std::vector<TranscriptUpdate> TranscriptBuilder::Updates(const std::set<size_t>& changed) const {
  std::vector<TranscriptUpdate> out;
  out.reserve(changed.size());
  for (size_t i : changed)
    if (i < items_.size()) out.push_back({i, items_[i]});
  return out;
}

void TranscriptBuilder::Emit(TranscriptItem item) {
  // A stderr line may land between two deltas of one message (another pipe): it does not end the text.
  if (!(item.kind == ItemKind::kRaw && item.stream == "stderr")) open_text_.reset();
  items_.push_back(std::move(item));
  if (changed_) changed_->insert(items_.size() - 1);
}

void TranscriptBuilder::Replace(size_t index, TranscriptItem item) {
  if (index >= items_.size()) return;
  items_[index] = std::move(item);
  if (changed_) changed_->insert(index);
}

size_t TranscriptBuilder::Delta(const std::string& key, const std::string& role, const std::string& text) {
  if (open_text_ && open_text_->first == key && open_text_->second < items_.size() &&
      items_[open_text_->second].kind == ItemKind::kText) {
    size_t index = open_text_->second;
    items_[index].text += text;
    if (changed_) changed_->insert(index);
    return index;
  }
  Emit(TranscriptItem::Text(role, text));
  open_text_ = std::make_pair(key, items_.size() - 1);
  return items_.size() - 1;
}

void TranscriptBuilder::ToolUse(const std::string& id, std::string name, json input) {
  if (!id.empty() && !tools_seen_.insert(id).second) return;
  tool_names_[id] = name;
  TranscriptItem it;
  it.kind = ItemKind::kToolUse;
  it.id = id;
  it.name = std::move(name);
  it.input = std::move(input);
  Emit(std::move(it));
}

void TranscriptBuilder::ToolResult(const std::string& id, std::string content, bool is_error) {
  TranscriptItem it;
  it.kind = ItemKind::kToolResult;
  it.id = id;
  if (auto name = tool_names_.find(id); name != tool_names_.end()) it.tool_name = name->second;
  it.text = std::move(content);
  it.is_error = is_error;
  Emit(std::move(it));
}

std::vector<TranscriptUpdate> TranscriptFeed::Chunk(std::string_view level, std::string_view bytes) {
  auto it = partial_.begin();
  while (it != partial_.end() && it->first != level) ++it;
  if (it == partial_.end()) it = partial_.insert(partial_.end(), {std::string(level), ""});
  std::string& partial = it->second;
  std::set<size_t> changed;
  size_t start = 0;
  for (size_t nl = bytes.find('\n'); nl != std::string_view::npos; nl = bytes.find('\n', start)) {
    if (partial.empty()) {
      builder_->Line(level, bytes.substr(start, nl - start), changed);
    } else {
      partial.append(bytes.substr(start, nl - start));
      builder_->Line(level, partial, changed);
      partial.clear();
    }
    start = nl + 1;
  }
  partial.append(bytes.substr(start));
  if (partial.size() > (64u << 20)) partial.clear();  // no line is that long: not worth keeping
  return builder_->Updates(changed);
}

std::vector<TranscriptUpdate> TranscriptFeed::Finish() {
  std::set<size_t> changed;
  for (auto& [level, partial] : partial_) {
    if (partial.empty()) continue;
    std::string line = std::move(partial);
    partial.clear();
    builder_->Line(level, line, changed);
  }
  return builder_->Updates(changed);
}

}  // namespace agentmux
