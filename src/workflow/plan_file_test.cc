#include "workflow/plan_file.h"

#include <gtest/gtest.h>

#include "workflow/plan_text.h"

namespace agentmux {
namespace {

TEST(PlanFile, ReadsTheIssuesExample) {
  auto def = ParsePlan(R"(name: add-login
tool: claude            # any adapter; per-task override allowed
project: .
specs: [012]
budget: { tokens: 2000000, cost_usd: 5, time: 2h }
tasks:
  - prompt: Create the User model in src/models/user.ts
  - prompt: Add a POST /login endpoint that uses the User model
    verify: npm test -- login
    max_attempts: 3
  - spec: 013
)", "plan.yaml");
  ASSERT_TRUE(def.ok()) << def.error().message;
  EXPECT_EQ(def->name, "add-login");
  EXPECT_EQ(def->tool, "claude");
  EXPECT_EQ(def->specs, std::vector<std::string>{"012"});
  EXPECT_EQ(def->budget.tokens, 2000000);
  EXPECT_EQ(def->budget.cost_usd, 5.0);
  EXPECT_EQ(def->budget.time_ms, 2 * 3600 * 1000);
  ASSERT_EQ(def->tasks.size(), 3u);
  EXPECT_EQ(def->tasks[1].verify, "npm test -- login");
  EXPECT_EQ(def->tasks[1].max_attempts, 3);
  EXPECT_EQ(def->tasks[2].spec, "013") << "a spec id keeps its leading zero";
  EXPECT_EQ(def->ToolOf(2), "claude");
  EXPECT_EQ(def->Where("tasks[1].verify"), "plan.yaml:9: tasks[1].verify: ");
}

TEST(PlanFile, JsonIsReadByTheSameParser) {
  auto def = PlanFromJson({{"tool", "codex"}, {"project_path", "/p"}, {"tasks", {{{"prompt", "a"}}, {{"spec", "2"}}}},
                           {"budget", {{"time_ms", 5000}, {"cost_usd", nullptr}}}, {"start", true}});
  ASSERT_TRUE(def.ok()) << def.error().message;
  EXPECT_EQ(def->project, "/p");
  EXPECT_EQ(def->tasks.size(), 2u);
  EXPECT_EQ(def->budget.time_ms, 5000);
  EXPECT_FALSE(def->budget.cost_usd) << "null is not given";
  EXPECT_EQ(def->Where("tasks[0]"), "tasks[0]: ") << "no file: no line";
}

struct BadCase {
  const char* yaml;
  const char* says;  // the message starts with this
};

TEST(PlanFile, EveryShapeErrorNamesFileLineAndField) {
  const BadCase cases[] = {
      {"tool: claude\ntasks:\n  - prompt: a\n    verfy: make\n", "p.yaml:4: tasks[0].verfy: unknown field"},
      {"tool: claude\n", "p.yaml: tasks: missing"},
      {"tool: claude\ntasks: []\n", "p.yaml:2: tasks: must be a list of at least one task"},
      {"tool: claude\nbudget: { tokens: -5 }\ntasks: [a]\n", "p.yaml:2: budget.tokens: must be a positive whole number"},
      {"tool: claude\nbudget: { time: soon }\ntasks: [a]\n", "p.yaml:2: budget.time: takes a duration"},
      {"tool: claude\nbudget: { dollars: 5 }\ntasks: [a]\n", "p.yaml:2: budget.dollars: unknown budget"},
      {"tool: claude\ntasks:\n  - prompt: a\n    spec: 012\n", "p.yaml:3: tasks[0]: a task has exactly one of"},
      {"tool: claude\ntasks:\n  - prompt: a\n    max_attempts: many\n", "p.yaml:4: tasks[0].max_attempts: must be a positive"},
      {"tool: [claude]\ntasks: [a]\n", "p.yaml:1: tool: must be text"},
      {"- just\n- a list\n", "p.yaml: a plan is a mapping"},
      {"tool: claude\ntasks:\n  - prompt: a\n   bad indent: x\n", "p.yaml:4: not valid YAML or JSON"},
  };
  for (const auto& c : cases) {
    auto def = ParsePlan(c.yaml, "p.yaml");
    ASSERT_FALSE(def.ok()) << c.yaml;
    EXPECT_EQ(def.error().code, "invalid_plan");
    EXPECT_EQ(def.error().message.rfind(c.says, 0), 0u) << "got: " << def.error().message << "\nfor:\n" << c.yaml;
  }
}

TEST(PlanFile, TextThatIsNotUtf8IsRefused) {
  auto def = ParsePlan("tool: shell\ntasks:\n  - command: echo \xff\xfe\n", "p.yaml");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.error().message.rfind("p.yaml: not UTF-8 text", 0), 0u) << def.error().message;
}

TEST(PlanText, TailLinesKeepsTheLastLinesWithoutEscapes) {
  std::string out;
  for (int i = 1; i <= 300; ++i) out += "\x1b[31mline " + std::to_string(i) + "\x1b[0m\r\n";
  std::string tail = TailLines(out, 200, 1 << 20);
  EXPECT_EQ(tail.substr(0, 9), "line 101\n");
  EXPECT_EQ(tail.substr(tail.size() - 9), "line 300\n");
  EXPECT_EQ(tail.find('\x1b'), std::string::npos);
  EXPECT_EQ(tail.find('\r'), std::string::npos);
  EXPECT_LE(TailLines(out, 200, 100).size(), 100u);
  EXPECT_EQ(TailLines("no newline", 5, 100), "no newline");
}

TEST(PlanText, VerifyRetryPromptCarriesTheCommandItsExitAndOutput) {
  std::string p = VerifyRetryPrompt("npm test", 2, "FAIL login.test.ts\n");
  EXPECT_NE(p.find("`npm test`"), std::string::npos);
  EXPECT_NE(p.find("exit code 2"), std::string::npos);
  EXPECT_NE(p.find("FAIL login.test.ts"), std::string::npos);
}

TEST(PlanText, OverBudgetSaysWhichLimitWasReached) {
  PlanBudget b;
  b.tokens = 100;
  b.time_ms = 1000;
  EXPECT_FALSE(OverBudget(b, {99, 0, 999}));
  auto over = OverBudget(b, {150, 0, 10});
  ASSERT_TRUE(over);
  EXPECT_EQ((*over)["what"], "tokens");
  EXPECT_EQ((*over)["spent"], 150);
  EXPECT_EQ((*OverBudget(b, {1, 0, 1000}))["what"], "time");
  EXPECT_FALSE(OverBudget(PlanBudget{}, {1 << 30, 1e9, 1 << 30})) << "no budget, no limit";
  EXPECT_EQ(BudgetFromJson(BudgetJson(b)).tokens, 100);
}

TEST(PlanText, FallbackRecordHoldsEachTaskItsAnswerAndTheDiffStat) {
  std::string r = FallbackRecord("add-login", {{1, "Create the User model", "Created src/models/user.ts"}},
                                  " src/models/user.ts | 12 ++++\n 1 file changed\n", "## Prompt\nAdd POST /login\n");
  EXPECT_NE(r.find("Create the User model"), std::string::npos);
  EXPECT_NE(r.find("Created src/models/user.ts"), std::string::npos);
  EXPECT_NE(r.find("1 file changed"), std::string::npos);
  EXPECT_LT(r.find("1 file changed"), r.find("Add POST /login")) << "the task at hand comes last";
}

TEST(PlanText, DefaultNameIsTheFirstTasksWords) {
  PlanDefinition def;
  def.tasks.push_back({.prompt = "Create the User model in src/models/user.ts and write the tests for it"});
  std::string name = DefaultPlanName(def);
  EXPECT_LE(name.size(), 48u + 3);
  EXPECT_EQ(name.rfind("Create the User model", 0), 0u);
}

}  // namespace
}  // namespace agentmux
