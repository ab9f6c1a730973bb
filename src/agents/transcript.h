// Transcript items: an agent run's conversation in the same words for every CLI — what the daemon
// serves (GET /api/sessions/:id/transcript, the WebSocket `transcript` message) and what the CLI
// and the web UI render. Each agent CLI's structured output (Claude Code stream-json, Codex
// `exec --json`, OpenCode `run --format json`, Gemini `-o stream-json`, Copilot
// `--output-format json`; recorded in tests/fixtures/transcripts) is read once, by that CLI's
// TranscriptBuilder in its own file (claude.cc, codex.cc, …), into these items.
//
// Wire shape of an item (snake_case; absent values are null; docs/api.md "Transcript items"):
//   {"kind":"init","agent","model","cwd","tools":N,"version","conversation_id"}
//   {"kind":"text","role":"assistant"|"user","text"}
//   {"kind":"thinking","text"}
//   {"kind":"tool_use","id","name","input":<the CLI's JSON>,"summary"}   summary: SummarizeToolInput
//   {"kind":"tool_result","tool_use_id","tool_name","content","is_error"}
//   {"kind":"result","subtype","is_error","num_turns","duration_ms","cost_usd",
//    "usage":{"input_tokens","output_tokens","cache_read_tokens","cache_creation_tokens"}|null,
//    "text","conversation_id","note"}                        the end of a run (or of a turn)
//   {"kind":"system","subtype","text"}                        retries, warnings, plans
//   {"kind":"error","text"}                                   the agent's own error words
//   {"kind":"raw","stream":"stdout"|"stderr"|"pty","text"}   a line no format explains
// An update {"index":i,"item":{…}} sets item i: i == the number of items so far appends, a smaller
// i replaces (streamed text deltas grow one item in place; Copilot's whole message replaces its
// deltas). Applying the same updates again in order gives the same items.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentmux {

// The short, readable part of a tool call's input, one rule for every CLI and every client: the
// first of command, cmd, file_path, filePath, path, absolute_path, pattern, url, query,
// description, prompt that holds a non-empty string (or list of strings, joined by spaces); else
// the files of a Codex patch ("add a.txt, update b.txt"); else the JSON text. On one line, at most
// 300 bytes (cut on a UTF-8 boundary, "..." appended).
std::string SummarizeToolInput(const nlohmann::json& input);

enum class ItemKind { kInit, kText, kThinking, kToolUse, kToolResult, kResult, kSystem, kError, kRaw };
const char* ToString(ItemKind kind);

// Token counts a result reports; a count the CLI did not give is nullopt (null on the wire).
struct ItemUsage {
  std::optional<int64_t> input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens;
};

// One item. Which fields a kind uses is in the wire shape above; the others stay empty.
struct TranscriptItem {
  ItemKind kind = ItemKind::kRaw;
  std::string text;     // text, thinking, system, error, raw: the words; tool_result: "content"
  std::string role;     // text: "assistant" or "user"
  std::string subtype;  // system, result
  std::string stream;   // raw: the log level the line came on
  std::string id;       // tool_use: the call's id; tool_result: "tool_use_id", the call it answers
  std::string name;     // tool_use: the tool
  nlohmann::json input;  // tool_use: the tool's input as the CLI gave it
  std::optional<std::string> tool_name;  // tool_result: the tool of the call, when it was seen
  bool is_error = false;                 // tool_result, result
  std::string agent;                     // init: the CLI's name ("Claude Code")
  std::optional<std::string> model, cwd, version;  // init
  int64_t tools = 0;                               // init: how many tools the agent has
  std::optional<std::string> conversation_id;      // init, result
  std::optional<int64_t> num_turns, duration_ms;   // result
  std::optional<double> cost_usd;                  // result
  std::optional<ItemUsage> usage;                  // result
  std::optional<std::string> result_text;          // result: "text" (the answer or the failure)
  std::optional<std::string> note;                 // result: what the figures cover, what else the CLI said

  static TranscriptItem Init(std::string agent, std::optional<std::string> conversation_id);
  static TranscriptItem Text(std::string role, std::string text);
  static TranscriptItem Thinking(std::string text);
  static TranscriptItem System(std::string subtype, std::string text);
  static TranscriptItem Error(std::string text);
  static TranscriptItem Raw(std::string stream, std::string text);
  static TranscriptItem Result(std::string subtype, bool is_error);
  nlohmann::json ToJson() const;
};

struct TranscriptUpdate {
  size_t index = 0;
  TranscriptItem item;
  nlohmann::json ToJson() const;  // {"index","item"}
};

nlohmann::json ToJson(const std::vector<TranscriptItem>& items);
nlohmann::json ToJson(const std::vector<TranscriptUpdate>& updates);

// Reads one agent CLI's output, a line at a time, into items. Each CLI subclasses it in its own
// file and maps its events in OnEvent(); what every format shares is here: non-JSON lines, stderr
// and events of unknown types become `raw` items; tool results name their call's tool; a tool call
// seen twice (started, then completed) is one item; text deltas join. A line that makes OnEvent
// throw (agent output is untrusted) becomes a raw item too. Not thread-safe; one per session.
class TranscriptBuilder {
 public:
  virtual ~TranscriptBuilder() = default;
  // One complete line of one stream ("stdout", "stderr" or "pty"), without its newline (a trailing
  // "\r" is dropped; blank lines are skipped). Returns the updates it caused: one per index, in
  // ascending order, each with the item as it now stands.
  std::vector<TranscriptUpdate> Line(std::string_view stream, std::string_view line);
  // The same, adding the indexes of the items it appended or replaced to `changed`.
  void Line(std::string_view stream, std::string_view line, std::set<size_t>& changed);
  const std::vector<TranscriptItem>& items() const { return items_; }
  // Updates for the items at `changed` (each < items().size()), in ascending order.
  std::vector<TranscriptUpdate> Updates(const std::set<size_t>& changed) const;

 protected:
  // One JSON event (an object whose "type" is a string) from stdout or a PTY. Returns false when
  // the format does not know it: the line is then shown as a raw item.
  virtual bool OnEvent(const nlohmann::json& event) = 0;

  void Emit(TranscriptItem item);
  void Replace(size_t index, TranscriptItem item);
  // Appends streamed text to message `key`; a new text item when another item came between.
  // Returns the index of the text item.
  size_t Delta(const std::string& key, const std::string& role, const std::string& text);
  // The open message (Delta) ends: the next delta starts a new item.
  void EndText() { open_text_.reset(); }
  // A tool call; one already seen by its id is not repeated.
  void ToolUse(const std::string& id, std::string name, nlohmann::json input);
  void ToolResult(const std::string& id, std::string content, bool is_error);
  const TranscriptItem* Last() const { return items_.empty() ? nullptr : &items_.back(); }
  const TranscriptItem* At(size_t index) const { return index < items_.size() ? &items_[index] : nullptr; }

 private:
  std::vector<TranscriptItem> items_;
  std::set<size_t>* changed_ = nullptr;
  std::optional<std::pair<std::string, size_t>> open_text_;  // message key, index of its item
  std::map<std::string, std::string> tool_names_;            // call id → tool
  std::set<std::string> tools_seen_;
};

// The text of a message's content: a string as is; a list of blocks as their texts ("[image]" for
// an image, else the block's JSON), one per line; anything else as JSON ("" for null).
std::string ContentText(const nlohmann::json& content);
// The number at `key` (integers as they are, floats truncated), nullopt when absent or not one.
std::optional<int64_t> OptInt(const nlohmann::json& j, std::string_view key);
std::optional<double> OptNum(const nlohmann::json& j, std::string_view key);
// A JSON number as JavaScript prints it ("500", "0.33", "2" for 2.0); a string as it is; else "".
std::string NumberText(const nlohmann::json& v);
// a + b where either may be missing (nullopt + nullopt = nullopt); saturating.
std::optional<int64_t> Sum(std::optional<int64_t> a, std::optional<int64_t> b);

// One session's log (chunks split anywhere, per stream) → lines → a builder. Each call returns
// its updates coalesced: one per index, in ascending order, each with the item as it now stands.
// Not thread-safe.
class TranscriptFeed {
 public:
  explicit TranscriptFeed(std::unique_ptr<TranscriptBuilder> builder) : builder_(std::move(builder)) {}
  // `level`: the chunk's stream ("stdout", "stderr", "pty").
  std::vector<TranscriptUpdate> Chunk(std::string_view level, std::string_view bytes);
  // The log ended (for now): what is left of each stream without a final newline is a line too.
  std::vector<TranscriptUpdate> Finish();
  const std::vector<TranscriptItem>& items() const { return builder_->items(); }

 private:
  std::unique_ptr<TranscriptBuilder> builder_;
  std::vector<std::pair<std::string, std::string>> partial_;  // stream → its unfinished line, first seen first
};

}  // namespace agentmux
