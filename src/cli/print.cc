#include "cli/print.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "base/clock.h"
#include "cli/common.h"

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
  line("status", Str(s, "status"));
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

void Row(const json& s, bool child) {
  std::string specs;
  for (const auto& sp : s["spec_ids"]) specs += (specs.empty() ? "" : ",") + sp.get<std::string>();
  std::string id = (child ? "  " : "") + ShortId(Str(s, "id"));
  std::string mode = Str(s, "kind") == "plan" ? (Str(s, "mode") == "ralph" ? "ralph" : "plan") : Str(s, "mode");
  std::string what = What(s, child);
  std::printf("%-15s  %-11s  %-8s  %-10s  %-16s  %-34s  %-8s  %-9s  %-8s  %s\n", id.c_str(), Str(s, "status").c_str(),
              Str(s, "tool").c_str(), mode.c_str(), Excerpt(specs.empty() ? "-" : specs, 16).c_str(),
              Excerpt(what.empty() ? "-" : what, 34).c_str(), Ago(Str(s, "created_at")).c_str(), Duration(s).c_str(),
              s["token_count"].is_number() ? std::to_string(s["token_count"].get<int64_t>()).c_str() : "-",
              Cost(s["cost_usd"]).c_str());
}

}  // namespace

void PrintList(const json& sessions) {
  std::printf("%-15s  %-11s  %-8s  %-10s  %-16s  %-34s  %-8s  %-9s  %-8s  %s\n", "ID", "STATUS", "TOOL", "MODE",
              "SPECS", "PROMPT / COMMAND", "CREATED", "DURATION", "TOKENS", "COST");
  std::map<std::string, std::vector<json>> children;  // plan id → its tasks in this list
  std::set<std::string> plans;
  for (const auto& s : sessions)
    if (Str(s, "kind") == "plan") plans.insert(Str(s, "id"));
  for (const auto& s : sessions)
    if (s["parent_id"].is_string() && plans.count(Str(s, "parent_id"))) children[Str(s, "parent_id")].push_back(s);
  for (const auto& s : sessions) {
    if (s["parent_id"].is_string() && plans.count(Str(s, "parent_id"))) continue;  // shown under its plan
    Row(s, false);
    auto it = children.find(Str(s, "id"));
    if (it == children.end()) continue;
    for (const auto& k : InTaskOrder(json(it->second))) Row(k, true);
  }
  if (sessions.empty()) std::printf("(no sessions yet — start one with: agentmux run -- echo hello)\n");
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
