// Fuzz target: plan files (src/workflow/plan_file.h) — ParsePlan on untrusted YAML/JSON (a file in
// the project, a POST /api/plans body's "source"), then what the driver does with a definition:
// Where() for every recorded field, TasksJson/BudgetJson, DefaultPlanName, and the JSON path
// (PlanFromJson of the tasks/budget as JSON).
//
// Input: the file's text. Aborts when the documented contract breaks: an error other than
// kInvalidArgument "invalid_plan", an error message that does not begin with the file's name, a
// definition without tasks or with a task that has not exactly one of prompt/spec/command, an
// attempt count outside 1..100, a non-positive budget, or a JSON round trip that changes the tasks.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "workflow/plan_file.h"
#include "workflow/plan_text.h"

using agentmux_fuzz::Fail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto def = agentmux::ParsePlan(text, "f.yaml");
  if (!def.ok()) {
    if (def.error().kind != agentmux::ErrorKind::kInvalidArgument || def.error().code != "invalid_plan")
      Fail("unexpected error kind", def.error().code + ": " + def.error().message);
    if (def.error().message.rfind("f.yaml", 0) != 0) Fail("error without the file's name", def.error().message);
    return 0;
  }
  if (def->tasks.empty()) Fail("a plan without tasks was accepted");
  for (const auto& t : def->tasks) {
    int given = (t.prompt ? 1 : 0) + (t.spec ? 1 : 0) + (t.command ? 1 : 0);
    if (given != 1) Fail("a task without exactly one of prompt/spec/command");
    if (t.max_attempts < 1 || t.max_attempts > 100) Fail("max_attempts out of range");
  }
  const auto& b = def->budget;
  if ((b.tokens && *b.tokens <= 0) || (b.cost_usd && !(*b.cost_usd > 0)) || (b.time_ms && *b.time_ms <= 0))
    Fail("a non-positive budget was accepted");
  for (const auto& [field, line] : def->lines) {
    if (line < 1) Fail("a line number below 1");
    (void)def->Where(field);
  }
  nlohmann::json tasks = agentmux::TasksJson(*def);
  nlohmann::json budget = agentmux::BudgetJson(def->budget);
  std::string name = agentmux::DefaultPlanName(*def);
  (void)nlohmann::json(name).dump();  // throws on invalid UTF-8
  // The API path: the same tasks as a JSON body read back the same.
  nlohmann::json body = {{"tasks", nlohmann::json::array()}};
  for (const auto& t : def->tasks) {
    nlohmann::json task = nlohmann::json::object();
    if (t.prompt) task["prompt"] = *t.prompt;
    if (t.spec) task["spec"] = *t.spec;
    if (t.command) task["command"] = *t.command;
    if (t.verify) task["verify"] = *t.verify;
    task["max_attempts"] = t.max_attempts;
    body["tasks"].push_back(task);
  }
  std::string dumped;
  try {
    dumped = body.dump();
  } catch (const nlohmann::json::exception&) {
    return 0;  // not UTF-8: the API never receives such a body (its JSON parser refuses it)
  }
  auto again = agentmux::PlanFromJson(nlohmann::json::parse(dumped));
  if (!again.ok()) Fail("a definition's tasks as JSON were refused", again.error().message);
  if (again->tasks.size() != def->tasks.size()) Fail("the JSON round trip changed the number of tasks");
  for (size_t i = 0; i < def->tasks.size(); ++i)
    if (again->tasks[i].prompt != def->tasks[i].prompt || again->tasks[i].verify != def->tasks[i].verify)
      Fail("the JSON round trip changed a task");
  return 0;
}
