#include "cli/print.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "base/clock.h"
#include "cli/common.h"
#include "cli/table.h"

namespace agentmux {
using nlohmann::json;

void PrintSession(const json& s) {
  auto line = [](const char* k, const std::string& v) { std::printf("%-18s %s\n", k, v.c_str()); };
  auto val = [](const json& v) -> std::string {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    return v.dump();
  };
  line("id", Str(s, "id"));
  if (!Str(s, "name").empty()) line("name", Str(s, "name"));
  line("status", Str(s, "status"));
  if (s["attention"].is_object()) {
    std::string reason = Str(s["attention"], "reason");
    std::string text = reason == "input" ? "waits for your input" : reason == "permission" ? "asks for permission" : "ended; not seen yet";
    if (!Str(s["attention"], "message").empty()) text += ": " + Str(s["attention"], "message");
    line("attention", text + " (since " + Str(s["attention"], "since") + ")");
  }
  line("tool", Str(s, "tool") + " (" + Str(s, "mode") + ")");
  line("project", Str(s, "project_path"));
  std::string specs;
  for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ", ") + sp.get<std::string>();
  line("specs", specs.empty() ? "-" : specs);
  line("prompt", s["prompt"].is_string() ? Excerpt(s["prompt"], 200) : "-");
  std::string cmd;
  for (const auto& a : s["command"]) cmd += (cmd.empty() ? "" : " ") + a.get<std::string>();
  line("command", cmd.empty() ? "-" : Excerpt(cmd, 200));
  line("pid", val(s["pid"]));
  line("exit code", val(s["exit_code"]));
  if (!s["signal"].is_null()) line("signal", val(s["signal"]));
  line("created", Str(s, "created_at"));
  line("started", val(s["started_at"]));
  line("ended", val(s["ended_at"]));
  line("duration", s["duration_ms"].is_number() ? HumanDuration(s["duration_ms"]) : "-");
  if (s["token_count"].is_number()) {
    line("tokens", std::to_string(s["token_count"].get<int64_t>()) + " (in " + val(s["input_tokens"]) + ", out " +
                       val(s["output_tokens"]) + ", cache read " + val(s["cache_read_tokens"]) + ", cache write " +
                       val(s["cache_creation_tokens"]) + ")");
  } else {
    line("tokens", "-");
  }
  if (s["cost_usd"].is_number()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.6f", s["cost_usd"].get<double>());
    line("cost", buf);
  } else {
    line("cost", "-");
  }
  if (s["conversation"].is_object()) {
    const json& c = s["conversation"];
    char buf[96] = "";
    if (c["cost_usd"].is_number()) std::snprintf(buf, sizeof buf, ", $%.6f", c["cost_usd"].get<double>());
    line("conversation", val(c["token_count"]) + " tokens" + buf + " (this session and the ones it continued)");
  }
  line("turns", val(s["num_turns"]));
  line("conversation id", val(s["agent_session_id"]));
  if (!s["parent_id"].is_null()) line("parent", val(s["parent_id"]));
  if (!s["error"].is_null()) line("error", val(s["error"]));
  line("log", std::to_string(s["log_bytes"].get<int64_t>()) + " bytes in " + std::to_string(s["log_seq"].get<int64_t>()) +
                  " chunks");
  for (const auto& [k, v] : s["metadata"].items()) line(("meta " + k).c_str(), val(v));
}

namespace {

std::string Cost(const json& v, const char* fmt = "$%.4f") {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v.get<double>());
  return buf;
}

std::string Duration(const json& s) {
  std::string dur = s["duration_ms"].is_number() ? HumanDuration(s["duration_ms"]) : "-";
  if ((Str(s, "status") == "running" || Str(s, "status") == "paused") && s["started_at"].is_string())
    if (auto t = ParseRfc3339(s["started_at"])) dur = HumanDuration(NowMs() - *t);
  return dur;
}

int64_t Position(const json& s) { return s["position"].is_number() ? s["position"].get<int64_t>() : 0; }

// What a row says it does: a plan's name; a task's "task N: prompt"; a verify run's command.
std::string What(const json& s, bool child) {
  std::string what;
  if (Str(s, "kind") == "plan" && s["plan"].is_object()) return "plan: " + s["plan"].value("name", std::string());
  if (s["prompt"].is_string()) what = s["prompt"];
  else if (Str(s, "tool") == "shell" && s["command"].size() == 3 && s["command"][0] == "sh")
    what = s["command"][2].get<std::string>();
  else
    for (const auto& a : s["command"]) what += (what.empty() ? "" : " ") + a.get<std::string>();
  if (what.empty() && !s["spec_ids"].empty()) what = "spec " + s["spec_ids"].back().get<std::string>();
  if (!child) return what;
  std::string role = s["metadata"].value("plan_role", "task");
  std::string head = (role == "verify" ? "verify " : "task ") + std::to_string(Position(s) + 1);
  std::string attempt = s["metadata"].value("attempt", "1");
  if (attempt != "1") head += "#" + attempt;
  return head + ": " + what;
}

std::string AttentionWord(const json& s) {
  if (!s["attention"].is_object()) return "";
  std::string reason = Str(s["attention"], "reason");
  return reason == "ended" ? "done" : reason;  // input | permission | done
}

std::string ExitText(const json& s) {
  if (s["signal"].is_string()) return Str(s, "signal");
  if (s["exit_code"].is_number()) return std::to_string(s["exit_code"].get<int>());
  return "-";
}

std::string Project(const json& s) {
  std::string p = Str(s, "project_path");
  auto slash = p.find_last_of('/');
  return slash == std::string::npos || slash + 1 == p.size() ? p : p.substr(slash + 1);
}

std::vector<std::string> Row(const json& s, bool child) {
  std::string specs;
  for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ",") + sp.get<std::string>();
  std::string mode = Str(s, "kind") == "plan" ? (Str(s, "mode") == "ralph" ? "ralph" : "plan") : Str(s, "mode");
  std::string what = What(s, child);
  std::string name = Str(s, "name");
  if (name.empty()) name = ShortId(Str(s, "id"));
  return {(child ? "  " : "") + name, ShortId(Str(s, "id")), Str(s, "status"), AttentionWord(s), Str(s, "tool"), mode,
          Project(s), specs.empty() ? "-" : specs, what.empty() ? "-" : what, Ago(Str(s, "created_at")), Duration(s),
          ExitText(s), s["token_count"].is_number() ? std::to_string(s["token_count"].get<int64_t>()) : "-",
          Cost(s["cost_usd"])};
}

bool Live(const json& s) {
  std::string st = Str(s, "status");
  return st == "running" || st == "paused" || st == "pending";
}

}  // namespace

void PrintList(const json& sessions) {
  std::vector<TableColumn> columns = {
      {"NAME", 0, 24},  {"ID", 3, 8},        {"STATUS", 0, 11},   {"ATTENTION", 1, 10}, {"TOOL", 2, 8},
      {"MODE", 8, 10},  {"PROJECT", 6, 18},  {"SPECS", 9, 16},    {"PROMPT / COMMAND", 0, 48, true, 20},
      {"CREATED", 4, 9}, {"DURATION", 5, 9}, {"EXIT", 5, 7},      {"TOKENS", 7, 9},     {"COST", 7, 8}};
  std::map<std::string, std::vector<json>> children;  // plan id → its tasks in this list
  std::set<std::string> plans;
  for (const auto& s : sessions)
    if (Str(s, "kind") == "plan") plans.insert(Str(s, "id"));
  std::vector<json> top;
  for (const auto& s : sessions) {
    if (s["parent_id"].is_string() && plans.count(Str(s, "parent_id"))) children[Str(s, "parent_id")].push_back(s);
    else top.push_back(s);
  }
  // What needs a person first, then what runs, then the rest; newest first within each.
  std::stable_sort(top.begin(), top.end(), [](const json& a, const json& b) {
    auto rank = [](const json& s) { return s["attention"].is_object() ? 0 : Live(s) ? 1 : 2; };
    return rank(a) < rank(b);
  });
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : top) {
    rows.push_back(Row(s, false));
    auto it = children.find(Str(s, "id"));
    if (it == children.end()) continue;
    for (const auto& k : InTaskOrder(json(it->second))) rows.push_back(Row(k, true));
  }
  if (rows.empty()) return;
  PrintTable(columns, rows, TerminalWidth());
}

std::vector<json> InTaskOrder(const json& children) {
  std::vector<json> out(children.begin(), children.end());
  std::stable_sort(out.begin(), out.end(), [](const json& a, const json& b) {
    return Position(a) != Position(b) ? Position(a) < Position(b) : Str(a, "id") < Str(b, "id");
  });
  return out;
}

void PrintPlan(const json& p, const json& unsorted) {
  std::vector<json> children = InTaskOrder(unsorted);
  auto line = [](const char* k, const std::string& v) { std::printf("%-18s %s\n", k, v.c_str()); };
  const json& plan = p["plan"];
  line("id", Str(p, "id"));
  line("plan", plan.value("name", std::string()) + (Str(p, "mode") == "ralph" ? " (ralph)" : ""));
  std::string status = Str(p, "status");
  if (plan["end_reason"].is_string() && plan["end_reason"] != "completed") status += " (" + Str(plan, "end_reason") + ")";
  line("status", status);
  line("tool", Str(p, "tool"));
  line("project", Str(p, "project_path"));
  std::string specs;
  for (const auto& sp : p["spec_ids"]) specs += (specs.empty() ? "" : ", ") + sp.get<std::string>();
  line("specs", specs.empty() ? "-" : specs);
  line("conversation id", plan["conversation_id"].is_string() ? Str(plan, "conversation_id") : "-");
  const json& spent = plan["spent"];
  const json& budget = plan["budget"];
  auto with_limit = [&](const std::string& used, const char* key, const std::string& limit) {
    return budget.is_object() && !budget[key].is_null() ? used + " of " + limit : used;
  };
  line("tokens", with_limit(spent["tokens"].is_number() ? std::to_string(spent["tokens"].get<int64_t>()) : "0", "tokens",
                            budget.is_object() && budget["tokens"].is_number() ? std::to_string(budget["tokens"].get<int64_t>()) : ""));
  line("cost", with_limit(Cost(spent["cost_usd"], "$%.6f"), "cost_usd",
                          budget.is_object() ? Cost(budget["cost_usd"], "$%.2f") : ""));
  line("time", with_limit(spent["time_ms"].is_number() ? HumanDuration(spent["time_ms"]) : "-", "time_ms",
                          budget.is_object() && budget["time_ms"].is_number() ? HumanDuration(budget["time_ms"]) : ""));
  if (p["conversation"].is_object() && p["conversation"]["token_count"].is_number())
    line("conversation", std::to_string(p["conversation"]["token_count"].get<int64_t>()) + " tokens so far");
  if (!p["error"].is_null()) line("error", Str(p, "error"));
  std::printf("\n%-6s %-11s %-8s %-9s %-8s %-9s %-9s %s\n", "TASK", "STATUS", "ATTEMPTS", "VERIFY", "TOKENS", "COST",
              "DURATION", "PROMPT / COMMAND");
  const json& tasks = plan["tasks"];
  for (size_t i = 0; i < tasks.size(); ++i) {
    int attempts = 0;
    int64_t tokens = 0, duration = 0;
    double cost = 0;
    std::string st = "pending", verify = tasks[i]["verify"].is_string() ? "-" : "";
    for (const auto& c : children) {
      if (Position(c) != static_cast<int64_t>(i)) continue;
      if (c["token_count"].is_number()) tokens += c["token_count"].get<int64_t>();
      if (c["cost_usd"].is_number()) cost += c["cost_usd"].get<double>();
      if (c["duration_ms"].is_number()) duration += c["duration_ms"].get<int64_t>();
      if (c["metadata"].value("plan_role", "task") == "verify") {
        verify = Str(c, "status") == "completed" ? "passed" : Str(c, "status") == "failed" ? "failed" : Str(c, "status");
        if (Str(c, "status") == "failed") st = "verify failed";
        else if (Str(c, "status") == "running") st = "verifying";
        continue;
      }
      ++attempts;
      st = Str(c, "status");
    }
    std::string what = tasks[i]["prompt"].is_string() ? Str(tasks[i], "prompt")
                       : tasks[i]["spec"].is_string() ? "spec " + Str(tasks[i], "spec")
                                                      : Str(tasks[i], "command");
    char cost_buf[24] = "-";
    if (cost > 0) std::snprintf(cost_buf, sizeof cost_buf, "$%.4f", cost);
    std::printf("%-6s %-11s %-8s %-9s %-8s %-9s %-9s %s\n", (std::to_string(i + 1) + "/" + std::to_string(tasks.size())).c_str(),
                st.c_str(), (std::to_string(attempts) + "/" + std::to_string(tasks[i].value("max_attempts", 3))).c_str(),
                verify.empty() ? "" : verify.c_str(), tokens ? std::to_string(tokens).c_str() : "-", cost_buf,
                duration ? HumanDuration(duration).c_str() : "-", Excerpt(what, 60).c_str());
  }
}

// Options shared by create and run.
}  // namespace agentmux
