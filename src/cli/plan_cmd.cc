#include "cli/plan_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "cli/create_options.h"
#include "cli/follow.h"
#include "cli/print.h"

namespace agentmux {
using nlohmann::json;

namespace {

struct PlanOpts {
  std::string file;
  std::vector<std::string> tasks, specs, env;
  std::string tool, project, name, timeout, budget_time;
  int64_t budget_tokens = 0;
  double budget_cost = 0;
  int max_attempts = 0;
  bool detach = false;
  bool clean_env = false;  // --clean-env: the daemon's environment, not this shell's
};

std::string Cwd() {
  std::error_code ec;
  return std::filesystem::current_path(ec).string();
}

json EnvJson(const std::vector<std::string>& env) {
  json out = json::object();
  for (const auto& kv : env) {
    auto eq = kv.find('=');
    if (kv.empty() || eq == 0) Fail("--env takes KEY=VALUE or KEY, got '" + kv + "'");
    if (eq == std::string::npos) {
      const char* v = std::getenv(kv.c_str());
      if (!v) Fail("--env " + kv + ": " + kv + " is not set in this environment; give --env " + kv + "=VALUE");
      out[kv] = v;
    } else {
      out[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return out;
}

// The POST /api/plans body of `plan run`: a file's text, or the flags' tasks.
json PlanBody(const PlanOpts& o) {
  json body = json::object();
  std::error_code ec;
  std::string project = o.project.empty() ? Cwd() : std::filesystem::absolute(o.project, ec).string();
  if (!o.file.empty()) {
    if (!o.tasks.empty() || !o.specs.empty()) Fail("give a plan file or --task/--spec flags, not both");
    std::ifstream in(o.file, std::ios::binary);
    if (!in) Fail("cannot read plan file '" + o.file + "': " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    body["source"] = text.str();
    body["file"] = o.file;
    body["project_path"] = project;  // resolves the file's `project:` (default: here)
    return body;
  }
  if (o.tasks.empty() && o.specs.empty())
    Fail("a plan needs tasks: give a plan file (agentmux plan run plan.yaml) or --task \"…\" / --spec ID flags");
  if (!o.tasks.empty() && !o.specs.empty())
    Fail("--task and --spec make the tasks in the order given; use one kind of flag, or a plan file to mix them");
  body["project_path"] = project;
  if (!o.tool.empty()) body["tool"] = o.tool;
  if (!o.name.empty()) body["name"] = o.name;
  json tasks = json::array();
  for (const auto& t : o.tasks) tasks.push_back({{"prompt", t}});
  for (const auto& s : o.specs) tasks.push_back({{"spec", s}});
  if (o.max_attempts > 0)
    for (auto& t : tasks) t["max_attempts"] = o.max_attempts;
  body["tasks"] = tasks;
  return body;
}

void AddBudget(json& body, const PlanOpts& o) {
  json budget = json::object();
  if (o.budget_tokens > 0) budget["tokens"] = o.budget_tokens;
  if (o.budget_cost > 0) budget["cost_usd"] = o.budget_cost;
  if (!o.budget_time.empty()) budget["time"] = o.budget_time;
  if (body.contains("source")) {
    if (!budget.empty()) Fail("--budget-* flags go with --task/--spec; a plan file has its own `budget:`");
    return;
  }
  if (!budget.empty()) body["budget"] = budget;
  if (!o.env.empty()) body["env"] = EnvJson(o.env);
  if (!o.timeout.empty()) body["timeout"] = o.timeout;
}

json Children(DaemonClient& client, const std::string& id) {
  return json(InTaskOrder(Call(client, "GET", "/api/sessions?parent_id=" + Escape(id) + "&limit=1000")["sessions"]));
}

std::string Header(const json& plan, const json& child) {
  size_t total = plan["plan"]["tasks"].size();
  int64_t pos = child["position"].is_number() ? child["position"].get<int64_t>() : 0;
  std::string role = child["metadata"].value("plan_role", "task");
  std::string attempt = child["metadata"].value("attempt", "1");
  std::string out = "task " + std::to_string(pos + 1) + "/" + std::to_string(total);
  if (role == "verify") {
    std::string cmd = child["command"].size() >= 3 ? child["command"][2].get<std::string>() : "";
    out += " · verify: " + Excerpt(cmd, 60);
  } else {
    out += " · " + Str(child, "tool");
  }
  if (attempt != "1") out += " · attempt " + attempt;
  return out;
}

}  // namespace

int FollowPlan(DaemonClient& client, const json& plan0, bool json_out, bool started) {
  std::string id = Str(plan0, "id");
  bool tty = isatty(STDERR_FILENO);
  if (tty && started)
    std::fprintf(stderr, "agentmux: plan %s (%s, %zu tasks) started\n", ShortId(id).c_str(),
                 plan0["plan"].value("name", std::string("plan")).c_str(), plan0["plan"]["tasks"].size());
  if (started) InstallForegroundInterrupt(client, id);  // Ctrl-C stops the plan (its running task first)
  std::set<std::string> seen;
  json plan = plan0;
  // When the plan writes to a pipe, its task outputs are separated by headers all the same.
  FILE* out = json_out ? stderr : stdout;
  for (bool last_round = false;;) {
    bool progressed = false;
    for (const auto& child : Children(client, id)) {
      std::string cid = Str(child, "id");
      if (seen.count(cid) || Str(child, "status") == "pending") continue;
      seen.insert(cid);
      progressed = true;
      std::fprintf(out, "── %s ── %s\n", Header(plan, child).c_str(), ShortId(cid).c_str());
      std::fflush(out);
      LogPrinter printer(WantsTranscript(child, false));
      json end = Follow(client, cid, 0, printer);
      std::string line = "── " + Str(end, "status");
      if (end["duration_ms"].is_number()) line += " in " + HumanDuration(end["duration_ms"]);
      if (end["exit_code"].is_number()) line += " · exit " + std::to_string(end["exit_code"].get<int>());
      if (end["token_count"].is_number()) line += " · " + std::to_string(end["token_count"].get<int64_t>()) + " tokens";
      std::fprintf(out, "%s\n", line.c_str());
      std::fflush(out);
    }
    if (last_round) break;
    plan = Call(client, "GET", "/api/sessions/" + Escape(id));
    if (IsTerminalStatus(Str(plan, "status"))) {
      last_round = true;  // what started just before the end is still shown
      continue;
    }
    if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  if (json_out) std::printf("%s\n", plan.dump(2).c_str());
  std::string status = Str(plan, "status");
  if (tty || status != "completed") {
    const json& spent = plan["plan"]["spent"];
    char cost[32] = "";
    if (spent["cost_usd"].is_number() && spent["cost_usd"].get<double>() > 0)
      std::snprintf(cost, sizeof cost, ", $%.4f", spent["cost_usd"].get<double>());
    std::fprintf(stderr, "agentmux: plan %s %s (%s tokens%s, %s)%s%s\n", ShortId(id).c_str(), status.c_str(),
                 spent["tokens"].is_number() ? std::to_string(spent["tokens"].get<int64_t>()).c_str() : "0", cost,
                 spent["time_ms"].is_number() ? HumanDuration(spent["time_ms"]).c_str() : "-",
                 plan["error"].is_string() ? ": " : "", plan["error"].is_string() ? Str(plan, "error").c_str() : "");
    if (status == "interrupted")
      std::fprintf(stderr, "agentmux: continue it with: agentmux resume %s\n", ShortId(id).c_str());
  }
  if (status == "completed") return 0;
  if (status == "cancelled") return 130;
  if (status == "interrupted") return kExitUnreachable;
  return kExitError;
}

void PrintPlanLogs(DaemonClient& client, const json& plan, bool raw) {
  for (const auto& child : Children(client, Str(plan, "id"))) {
    if (Str(child, "status") == "pending") continue;
    std::printf("── %s ── %s\n", Header(plan, child).c_str(), ShortId(Str(child, "id")).c_str());
    std::fflush(stdout);
    LogPrinter printer(WantsTranscript(child, raw));
    PrintStoredLogs(client, child, std::nullopt, printer);
    printer.Finish();
  }
}

json RunningTask(DaemonClient& client, const json& plan) {
  for (const auto& child : Children(client, Str(plan, "id")))
    if (Str(child, "status") == "running" || Str(child, "status") == "paused") return child;
  Fail("plan " + ShortId(Str(plan, "id")) + " has no running task (it is " + Str(plan, "status") + ")");
}

void AddPlanCommands(CLI::App& app, Globals& g) {
  auto* plan = app.add_subcommand("plan", "plans: ordered tasks run by one agent in one conversation");
  plan->require_subcommand(1);
  static PlanOpts o;
  auto* run = plan->add_subcommand(
      "run", "run a plan (a YAML/JSON file, or --task/--spec flags); streams each task under `task N/M`");
  run->add_option("file", o.file, "plan file (YAML or JSON; see docs/plans.md)");
  run->add_option("--task", o.tasks, "a task's prompt (repeatable, in order)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--spec,-s", o.specs, "a spec as a task, its text the prompt (repeatable, in order)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--tool,-t", o.tool, "agent of every task (claude, codex, opencode, gemini, copilot)");
  run->add_option("--project-path,-C", o.project, "project directory (default: current directory)");
  run->add_option("--name", o.name, "the plan's name (default: the first task's words)");
  run->add_option("--max-attempts", o.max_attempts, "tries per task while its verify fails (default 3)");
  run->add_option("--budget-tokens", o.budget_tokens, "stop the plan once its tasks used this many tokens");
  run->add_option("--budget-cost", o.budget_cost, "stop the plan once its tasks cost this many US dollars");
  run->add_option("--budget-time", o.budget_time, "stop the plan after this long (90s, 30m, 2h)");
  run->add_option("--env,-e", o.env, "KEY=VALUE for every task's environment (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false);
  run->add_option("--timeout", o.timeout, "end a task's attempt after this long (90s, 5m, 1h)");
  run->add_flag("-d,--detach", o.detach, "print the plan's id and return at once");
  run->add_flag("--clean-env", o.clean_env, "start the tasks from the daemon's environment instead of this shell's");
  run->add_flag("--json", g.json_out, "print JSON");
  run->callback([&g] {
    json body = PlanBody(o);
    AddBudget(body, o);
    if (!o.clean_env) body["environment"] = CallerEnvironment();
    auto client = Connect(g);
    json plan = Call(client, "POST", "/api/plans", body);
    if (o.detach) {
      if (g.json_out) std::printf("%s\n", plan.dump(2).c_str());
      else std::printf("%s\n", Str(plan, "id").c_str());
      return;
    }
    throw CLI::RuntimeError(FollowPlan(client, plan, g.json_out));
  });
}

}  // namespace agentmux
