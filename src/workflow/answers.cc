// What an ended session said: its final answer and its output's tail (answers.h).
#include "workflow/answers.h"

#include <algorithm>
#include <map>

#include "workflow/plan_text.h"

namespace agentmux {

// The agent's final answer in `child`'s run: the last result's text, else its last assistant
// message (transcript items, agents/transcript.h), at most 4 KiB; "" for a terminal stream.
std::string FinalAnswer(SessionManager& manager, const SessionRecord& child) {
  auto builder = manager.adapters().NewTranscriptBuilder(child);
  if (!builder) return "";
  std::map<std::string, std::string> partial;  // per stream: a line not yet ended
  int64_t after = 0;
  size_t read = 0;
  while (read < (64u << 20)) {
    auto page = manager.ReadLogs(child.id, after, 4096, 8u << 20);
    if (page.empty()) break;
    for (const auto& chunk : page) {
      std::string& buf = partial[chunk->level];
      buf += chunk->data;
      size_t start = 0, nl;
      while ((nl = buf.find('\n', start)) != std::string::npos) {
        builder->Line(chunk->level, std::string_view(buf).substr(start, nl - start));
        start = nl + 1;
      }
      buf.erase(0, start);
      after = chunk->seq;
      read += chunk->data.size();
    }
  }
  for (const auto& [level, rest] : partial)
    if (!rest.empty()) builder->Line(level, rest);
  const auto& items = builder->items();
  std::string answer;
  for (auto it = items.rbegin(); it != items.rend() && answer.empty(); ++it) {
    if (it->kind == ItemKind::kResult && it->result_text && !it->is_error) answer = *it->result_text;
    else if (it->kind == ItemKind::kText && it->role == "assistant") answer = it->text;
  }
  if (answer.size() > 4096) answer = answer.substr(0, 4096) + "…";
  return answer;
}

// The last `lines` lines `child` printed (ANSI escapes removed, ≤ 16 KiB).
std::string OutputTail(SessionManager& manager, const SessionRecord& child, size_t lines) {
  int64_t start = manager.TailStartSeq(child.id, static_cast<int64_t>(lines));
  std::string text;
  for (const auto& chunk : manager.ReadLogs(child.id, std::max<int64_t>(0, start - 1), 100000, 4u << 20))
    text += chunk->data;
  return TailLines(text, lines, 16 * 1024);
}

}  // namespace agentmux
