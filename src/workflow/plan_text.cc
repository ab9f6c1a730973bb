#include "workflow/plan_text.h"

#include <cstdio>

namespace agentmux {
namespace {

// Removes CSI/OSC escape sequences and carriage returns that precede a newline.
std::string StripAnsi(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\x1b' && i + 1 < in.size()) {
      char k = in[i + 1];
      if (k == '[') {
        i += 2;
        while (i < in.size() && !(in[i] >= '@' && in[i] <= '~')) ++i;
        continue;
      }
      if (k == ']') {
        i += 2;
        while (i < in.size() && in[i] != '\a' && !(in[i] == '\x1b' && i + 1 < in.size() && in[i + 1] == '\\')) ++i;
        if (i < in.size() && in[i] == '\x1b') ++i;
        continue;
      }
      ++i;
      continue;
    }
    if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') continue;
    out += c;
  }
  return out;
}

std::string Fence(const std::string& text) {
  std::string body = text;
  if (!body.empty() && body.back() != '\n') body += '\n';
  return "```\n" + body + "```\n";
}

}  // namespace

std::string TailLines(std::string_view text, size_t lines, size_t max_bytes) {
  std::string clean = StripAnsi(text);
  size_t end = clean.size();
  if (end > 0 && clean[end - 1] == '\n') --end;  // a final newline ends the last line
  size_t start = end, seen = 0;
  while (start > 0) {
    if (clean[start - 1] == '\n' && ++seen == lines) break;
    --start;
  }
  std::string tail = clean.substr(start);
  if (tail.size() > max_bytes) {
    size_t cut = tail.size() - max_bytes;
    size_t nl = tail.find('\n', cut);
    tail = tail.substr(nl != std::string::npos && nl + 1 < tail.size() ? nl + 1 : cut);
  }
  return tail;
}

std::string VerifyRetryPrompt(const std::string& verify, int exit_code, const std::string& output_tail) {
  std::string out = "The check `" + verify + "` failed (exit code " + std::to_string(exit_code) + ").";
  out += output_tail.empty() ? " It printed nothing.\n" : " The end of its output:\n\n" + Fence(output_tail);
  out += "\nFix the code so that the check passes. Do not change or skip the check itself.\n";
  return out;
}

std::string FallbackRecord(const std::string& plan_name, const std::vector<TaskRecord>& done,
                           const std::string& diff_stat, const std::string& task_context) {
  std::string out = "You are continuing the plan \"" + plan_name +
                    "\". The conversation that did its earlier tasks is no longer available, so here is a "
                    "record of what was done so far.\n\n";
  if (done.empty()) out += "No task has finished yet.\n";
  for (const auto& t : done) {
    out += "## Task " + std::to_string(t.number) + "\n" + t.asked + "\n\n";
    out += t.answer.empty() ? "(no final answer was recorded)\n\n" : "Final answer:\n" + t.answer + "\n\n";
  }
  out += "## Files changed since the plan started (git diff --stat)\n";
  out += diff_stat.empty() ? "(none found)\n" : Fence(diff_stat);
  out += "\n## Your task now\n" + task_context;
  return out;
}

std::optional<nlohmann::json> OverBudget(const PlanBudget& b, const PlanSpent& s) {
  if (b.tokens && s.tokens >= *b.tokens)
    return nlohmann::json{{"what", "tokens"}, {"limit", *b.tokens}, {"spent", s.tokens}};
  if (b.cost_usd && s.cost_usd >= *b.cost_usd)
    return nlohmann::json{{"what", "cost_usd"}, {"limit", *b.cost_usd}, {"spent", s.cost_usd}};
  if (b.time_ms && s.time_ms >= *b.time_ms)
    return nlohmann::json{{"what", "time"}, {"limit", *b.time_ms}, {"spent", s.time_ms}};
  return std::nullopt;
}

PlanBudget BudgetFromJson(const nlohmann::json& j) {
  PlanBudget b;
  if (!j.is_object()) return b;
  if (j.contains("tokens") && j["tokens"].is_number_integer()) b.tokens = j["tokens"].get<int64_t>();
  if (j.contains("cost_usd") && j["cost_usd"].is_number()) b.cost_usd = j["cost_usd"].get<double>();
  if (j.contains("time_ms") && j["time_ms"].is_number_integer()) b.time_ms = j["time_ms"].get<int64_t>();
  return b;
}

std::string FirstLineExcerpt(const std::string& text, size_t max) {
  std::string s = text.substr(0, text.find('\n'));
  if (s.size() <= max) return s;
  size_t cut = s.rfind(' ', max);
  s.resize(cut == std::string::npos || cut < max / 3 ? max : cut);
  // Not inside a UTF-8 character: drop a cut one whole.
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();
  if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s + "…";
}

std::string DefaultPlanName(const PlanDefinition& def) {
  if (def.tasks.empty()) return "plan";
  const PlanTask& t = def.tasks.front();
  std::string text = t.prompt ? *t.prompt : t.spec ? "spec " + *t.spec : t.command.value_or("plan");
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return FirstLineExcerpt(text, 48);
}

}  // namespace agentmux
