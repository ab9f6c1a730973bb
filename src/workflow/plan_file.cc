#include "workflow/plan_file.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "base/duration.h"

namespace agentmux {
namespace {

constexpr int kMaxAttempts = 100;
constexpr size_t kMaxTasks = 1000;

// Thrown inside the parser with the field's path and what is wrong; ParsePlan turns it into an
// error carrying file:line.
struct Bad {
  std::string field;
  std::string what;
};

class Parser {
 public:
  explicit Parser(PlanDefinition& def) : def_(def) {}

  void Top(const YAML::Node& root) {
    if (!root.IsMap()) throw Bad{"", "a plan is a mapping with at least `tasks:` (see `agentmux plan run --help`)"};
    Note("", root);
    static const std::set<std::string> known = {"name", "tool", "project", "project_path", "specs", "spec_ids",
                                                "budget", "env", "timeout", "timeout_ms", "tasks", "mode",
                                                "worktree", "base"};
    bool has_tasks = false;
    for (const auto& kv : root) {
      std::string key = Key(kv.first, "");
      const YAML::Node& v = kv.second;
      Note(key, kv.first);
      if (v.IsNull() && key != "tasks") continue;  // `verify: null` from a form = not given
      if (!known.count(key)) throw Bad{key, "unknown field (allowed: " + Join(known) + ")"};
      if (key == "name") def_.name = Text(v, key);
      else if (key == "tool") def_.tool = Text(v, key);
      else if (key == "project" || key == "project_path") def_.project = Text(v, key);
      else if (key == "specs" || key == "spec_ids") def_.specs = TextList(v, key);
      else if (key == "budget") Budget(v);
      else if (key == "env") Env(v);
      else if (key == "timeout") def_.timeout_ms = Duration(v, key);
      else if (key == "timeout_ms") def_.timeout_ms = Positive(v, key);
      else if (key == "worktree") def_.worktree = Bool(v, key);
      else if (key == "base") def_.base = Text(v, key);
      else if (key == "mode") {
        std::string m = Text(v, key);
        if (m != "ralph" && m != "autonomous") throw Bad{key, "must be `autonomous` or `ralph`, not '" + m + "'"};
        def_.ralph = m == "ralph";
      } else if (key == "tasks") {
        has_tasks = true;
        Tasks(v);
      }
    }
    if (def_.base && !def_.worktree) throw Bad{"base", "goes with `worktree: true` (the commit the worktree starts from)"};
    if (!has_tasks) throw Bad{"tasks", "missing: a plan needs `tasks:`, a list of at least one task (- prompt: …)"};
  }

 private:
  void Note(const std::string& field, const YAML::Node& n) {
    if (n.Mark().line >= 0) def_.lines.emplace(field, n.Mark().line + 1);
  }
  static std::string Join(const std::set<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }
  static std::string Key(const YAML::Node& k, const std::string& where) {
    if (!k.IsScalar()) throw Bad{where, "field names must be plain words"};
    return k.Scalar();
  }
  std::string Text(const YAML::Node& v, const std::string& field) {
    Note(field, v);
    if (!v.IsScalar()) throw Bad{field, "must be text"};
    // yaml-cpp can hand back bytes that are not UTF-8 (escapes, odd control bytes): every text
    // here reaches the store and the API as JSON, so it must be UTF-8.
    try {
      (void)nlohmann::json(v.Scalar()).dump();
    } catch (const nlohmann::json::type_error&) {
      throw Bad{field, "is not UTF-8 text"};
    }
    return v.Scalar();
  }
  std::vector<std::string> TextList(const YAML::Node& v, const std::string& field) {
    Note(field, v);
    if (v.IsScalar()) return {v.Scalar()};  // specs: 012
    if (!v.IsSequence()) throw Bad{field, "must be a list of spec ids, like [012, 013]"};
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) out.push_back(Text(v[i], field + "[" + std::to_string(i) + "]"));
    return out;
  }
  bool Bool(const YAML::Node& v, const std::string& field) {
    Note(field, v);
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) throw Bad{field, "must be true or false"};
    return b;
  }
  int64_t Positive(const YAML::Node& v, const std::string& field) {
    Note(field, v);
    int64_t n = 0;
    if (!v.IsScalar() || !YAML::convert<int64_t>::decode(v, n) || n <= 0)
      throw Bad{field, "must be a positive whole number, not '" + (v.IsScalar() ? v.Scalar() : std::string("…")) + "'"};
    return n;
  }
  int64_t Duration(const YAML::Node& v, const std::string& field) {
    std::string text = Text(v, field);
    auto ms = ParseDuration(text);
    if (!ms || *ms <= 0) throw Bad{field, "takes a duration like 90s, 30m or 2h, not '" + text + "'"};
    return *ms;
  }
  void Budget(const YAML::Node& v) {
    Note("budget", v);
    if (!v.IsMap()) throw Bad{"budget", "must be a mapping like { tokens: 2000000, cost_usd: 5, time: 2h }"};
    static const std::set<std::string> known = {"tokens", "cost_usd", "time", "time_ms"};
    for (const auto& kv : v) {
      std::string key = Key(kv.first, "budget");
      std::string field = "budget." + key;
      Note(field, kv.first);
      if (!known.count(key)) throw Bad{field, "unknown budget (allowed: " + Join(known) + ")"};
      if (kv.second.IsNull()) continue;
      if (key == "tokens") def_.budget.tokens = Positive(kv.second, field);
      else if (key == "time") def_.budget.time_ms = Duration(kv.second, field);
      else if (key == "time_ms") def_.budget.time_ms = Positive(kv.second, field);
      else {
        double usd = 0;
        if (!kv.second.IsScalar() || !YAML::convert<double>::decode(kv.second, usd) || !(usd > 0) || usd > 1e9)
          throw Bad{field, "must be a positive amount of US dollars, like 5 or 0.50"};
        def_.budget.cost_usd = usd;
      }
    }
  }
  void Env(const YAML::Node& v) {
    Note("env", v);
    if (!v.IsMap()) throw Bad{"env", "must be a mapping of NAME: value"};
    for (const auto& kv : v) {
      std::string key = Key(kv.first, "env");
      if (key.empty() || key.find('=') != std::string::npos) throw Bad{"env." + key, "is not a valid variable name"};
      def_.env[key] = Text(kv.second, "env." + key);
    }
  }
  void Tasks(const YAML::Node& v) {
    Note("tasks", v);
    if (!v.IsSequence() || v.size() == 0)
      throw Bad{"tasks", "must be a list of at least one task, like\n  tasks:\n    - prompt: Create the User model"};
    if (v.size() > kMaxTasks) throw Bad{"tasks", "at most " + std::to_string(kMaxTasks) + " tasks"};
    for (size_t i = 0; i < v.size(); ++i) def_.tasks.push_back(Task(v[i], "tasks[" + std::to_string(i) + "]"));
  }
  PlanTask Task(const YAML::Node& v, const std::string& where) {
    Note(where, v);
    PlanTask t;
    if (v.IsScalar()) {  // - Create the User model
      t.prompt = Text(v, where);
      if (t.prompt->find_first_not_of(" \t\r\n") == std::string::npos)
        throw Bad{where, "has an empty value; write what the task is"};
      return t;
    }
    if (!v.IsMap()) throw Bad{where, "must be a mapping with prompt:, spec: or command:"};
    static const std::set<std::string> known = {"prompt", "spec", "command", "tool", "verify", "max_attempts"};
    for (const auto& kv : v) {
      std::string key = Key(kv.first, where);
      std::string field = where + "." + key;
      Note(field, kv.first);
      if (!known.count(key)) throw Bad{field, "unknown field (allowed: " + Join(known) + ")"};
      if (kv.second.IsNull()) continue;
      if (key == "prompt") t.prompt = Text(kv.second, field);
      else if (key == "spec") t.spec = Text(kv.second, field);
      else if (key == "command") t.command = Text(kv.second, field);
      else if (key == "tool") t.tool = Text(kv.second, field);
      else if (key == "verify") t.verify = Text(kv.second, field);
      else {
        int64_t n = Positive(kv.second, field);
        if (n > kMaxAttempts) throw Bad{field, "at most " + std::to_string(kMaxAttempts)};
        t.max_attempts = static_cast<int>(n);
      }
    }
    int given = (t.prompt ? 1 : 0) + (t.spec ? 1 : 0) + (t.command ? 1 : 0);
    if (given != 1) throw Bad{where, "a task has exactly one of prompt:, spec: or command:"};
    for (auto* s : {&t.prompt, &t.command, &t.verify, &t.tool, &t.spec})
      if (*s && s->value().find_first_not_of(" \t\r\n") == std::string::npos)
        throw Bad{where, "has an empty value; write what the task is"};
    return t;
  }

  PlanDefinition& def_;
};

}  // namespace

std::string PlanDefinition::Where(const std::string& field) const {
  std::string out;
  if (!file.empty()) {
    out = file;
    // The field's own line, else its nearest enclosing one ("tasks[1].verify" → "tasks[1]").
    for (std::string f = field;; ) {
      if (auto it = lines.find(f); it != lines.end()) {
        out += ":" + std::to_string(it->second);
        break;
      }
      auto cut = f.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) break;
      f = f.substr(0, cut);
    }
    out += ": ";
  }
  return out + (field.empty() ? "" : field + ": ");
}

Result<PlanDefinition> ParsePlan(std::string_view text, const std::string& file) {
  PlanDefinition def;
  def.file = file;
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    return Error::InvalidArgument("invalid_plan", (file.empty() ? std::string("plan") : file) +
                                                      ": a NUL byte at offset " + std::to_string(nul) +
                                                      " (a plan is UTF-8 text)");
  try {
    // Every text of a plan reaches the store and the API as JSON: UTF-8 only (nlohmann's check).
    (void)nlohmann::json(std::string(text)).dump();
  } catch (const nlohmann::json::type_error& e) {
    std::string where = file.empty() ? std::string("plan") : file;
    std::string what = e.what();
    auto at = what.find("invalid UTF-8");
    return Error::InvalidArgument("invalid_plan", where + ": not UTF-8 text (" +
                                                      (at == std::string::npos ? what : what.substr(at)) + ")");
  }
  try {
    YAML::Node root = YAML::Load(std::string(text));
    Parser(def).Top(root);
  } catch (const Bad& bad) {
    std::string where = def.Where(bad.field);
    return Error::InvalidArgument("invalid_plan", where + bad.what);
  } catch (const YAML::Exception& e) {
    std::string where = file.empty() ? std::string("plan") : file;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    return Error::InvalidArgument("invalid_plan", where + ": not valid YAML or JSON: " + e.msg);
  }
  return def;
}

Result<PlanDefinition> PlanFromJson(const nlohmann::json& body) {
  nlohmann::json fields = body;
  for (const char* k : {"start", "source", "file", "environment"}) fields.erase(k);
  auto def = ParsePlan(fields.dump(), "");
  if (def.ok()) def->lines.clear();
  return def;
}

nlohmann::json TasksJson(const PlanDefinition& def) {
  auto opt = [](const std::optional<std::string>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < def.tasks.size(); ++i) {
    const PlanTask& t = def.tasks[i];
    out.push_back({{"prompt", opt(t.prompt)}, {"spec", opt(t.spec)}, {"command", opt(t.command)},
                   {"tool", def.ToolOf(i)}, {"verify", opt(t.verify)}, {"max_attempts", t.max_attempts}});
  }
  return out;
}

nlohmann::json BudgetJson(const PlanBudget& b) {
  using nlohmann::json;
  return {{"tokens", b.tokens ? json(*b.tokens) : json(nullptr)},
          {"cost_usd", b.cost_usd ? json(*b.cost_usd) : json(nullptr)},
          {"time_ms", b.time_ms ? json(*b.time_ms) : json(nullptr)}};
}

}  // namespace agentmux
