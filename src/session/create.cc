// Creating a session (SessionManager::Create): validation, its name, the secrets and the caller's
// environment kept in memory only, and what its process gets (Unredact, BuildEnv).
#include <filesystem>

#include "base/clock.h"
#include "base/duration.h"
#include "base/ids.h"
#include "model/names.h"
#include "proc/redact.h"
#include "session/live.h"
#include "specs/specs.h"

extern char** environ;

namespace agentmux {

Result<SessionRecord> SessionManager::Create(CreateRequest req) {
  if (req.tool.empty()) {
    if (req.command.empty())
      return Error::InvalidArgument("missing_tool",
                                    "say which agent to run with --tool (claude, shell, …) or give a command "
                                    "after `--`");
    req.tool = "shell";
  }
  const Adapter* adapter = adapters_.Find(req.tool);
  if (!adapter) {
    std::string names;
    for (const auto* a : adapters_.All()) names += (names.empty() ? "" : ", ") + a->name();
    return Error::InvalidArgument("unknown_tool", "unknown tool '" + req.tool + "' (available: " + names + ")");
  }
  if (req.project_path.empty()) return Error::InvalidArgument("bad_project_path", "project_path is required");
  // What runs must be what is stored: exec() and the environment cannot carry a NUL byte, so a
  // value holding one would silently be cut short.
  auto has_nul = [](const std::string& v) { return v.find('\0') != std::string::npos; };
  if (has_nul(req.project_path)) return Error::InvalidArgument("bad_project_path", "project_path contains a NUL byte");
  for (const auto& arg : req.command)
    if (has_nul(arg)) return Error::InvalidArgument("bad_command", "an argument of the command contains a NUL byte");
  for (const auto& [k, v] : req.env)
    if (has_nul(k) || has_nul(v))
      return Error::InvalidArgument("bad_env", "environment variable '" + k.substr(0, k.find('\0')) +
                                                   "' contains a NUL byte");
  if (req.prompt && has_nul(*req.prompt)) return Error::InvalidArgument("bad_prompt", "the prompt contains a NUL byte");
  std::error_code ec;
  auto canonical = std::filesystem::canonical(req.project_path, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec))
    return Error::InvalidArgument("bad_project_path",
                                  "project path '" + req.project_path + "' is not an existing directory");
  auto resolved = ResolveSpecs(canonical.string(), req.spec_ids);
  if (!resolved.ok()) return resolved.error();
  std::vector<Spec> specs = std::move(*resolved);
  for (size_t i = 0; i < req.spec_ids.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (specs[i].id == specs[j].id)
        return Error::InvalidArgument("duplicate_spec", "spec " + specs[i].id + " is attached twice");
  for (const auto& [k, v] : req.env)
    if (k.empty() || k.find('=') != std::string::npos)
      return Error::InvalidArgument("bad_env", "environment variable name '" + k + "' is not valid (use KEY=VALUE)");

  if (!req.name.empty()) {
    if (auto why = InvalidNameReason(req.name)) return Error::InvalidArgument("bad_name", "name '" + req.name + "': " + *why);
    if (store_.NameTaken(req.name, true))
      return Error::Conflict("name_taken", "a live session is already named '" + req.name +
                                               "'; pick another name, or stop or wait for that one");
  }
  if (req.caller_env)
    for (const auto& [k, v] : *req.caller_env)
      if (k.empty() || k.find('=') != std::string::npos || has_nul(k) || has_nul(v))
        return Error::InvalidArgument("bad_env", "the caller's environment has an invalid variable '" +
                                                     k.substr(0, k.find('\0')) + "'");

  SessionRecord rec;
  rec.id = NewUuidV7();
  rec.name = req.name.empty() ? UniqueName() : req.name;
  rec.project_path = canonical.string();
  rec.spec_ids = req.spec_ids;
  if (req.prompt && !req.prompt->empty()) rec.prompt = req.prompt;
  rec.tool = req.tool;
  rec.mode = req.mode.value_or(adapter->default_mode());
  rec.command = req.command;
  // An agent tool's command: extra arguments for its CLI, kept apart from `command` (the argv
  // actually run, set at start).
  if (rec.tool != "shell" && !req.command.empty()) {
    rec.metadata["agent_args"] = nlohmann::json(req.command).dump();
    rec.command.clear();
  }
  rec.parent_id = req.parent_id;
  rec.kind = req.kind;
  rec.position = req.position;
  rec.state = req.state.is_object() ? req.state : nlohmann::json::object();
  for (const auto& [k, v] : req.metadata) rec.metadata[k] = v;
  if (req.worktree) rec.metadata["worktree"] = "requested";
  if (req.base) {
    if (!req.worktree) return Error::InvalidArgument("bad_base", "base goes with worktree: true (--worktree --base REF)");
    rec.metadata["worktree_base"] = *req.base;
  }
  // A continued conversation already holds the specs: deliver the new prompt alone.
  if (req.context) rec.context = *req.context;
  else rec.context = req.resume_conversation ? ComposeContext({}, rec.prompt) : ComposeContext(specs, rec.prompt);
  if (req.resume_conversation) rec.metadata["resume_conversation"] = *req.resume_conversation;
  if (req.fallback_fresh) rec.metadata["fallback"] = "fresh";
  if (req.start_requested) rec.metadata["start_requested"] = "1";
  if (req.timeout_ms) {
    if (*req.timeout_ms <= 0 || *req.timeout_ms > kMaxTimeoutMs)
      return Error::InvalidArgument("bad_timeout", "timeout must be positive and at most 30 days (" +
                                                       std::to_string(kMaxTimeoutMs) + " ms)");
    rec.metadata["timeout_ms"] = std::to_string(*req.timeout_ms);
  }
  for (const auto& [k, v] : req.env) {
    if (IsSensitiveName(k)) secret_env_[rec.id][k] = v;
    else rec.env[k] = v;
  }
  if (req.cols) rec.metadata["pty_cols"] = std::to_string(req.cols);
  if (req.rows) rec.metadata["pty_rows"] = std::to_string(req.rows);
  rec.created_at = rec.updated_at = NowMs();

  // Catch what would fail at start (no command for shell, no prompt for claude) now.
  if (rec.kind == SessionKind::kAgent && rec.tool == "shell" && rec.command.empty()) {
    auto plan = adapter->Plan(rec, path_env());
    if (!plan.ok()) return plan.error();
  }

  nlohmann::json payload = {{"tool", rec.tool}, {"mode", ToString(rec.mode)}, {"spec_ids", rec.spec_ids},
                            {"has_prompt", rec.prompt.has_value()}};
  if (rec.kind != SessionKind::kAgent) payload["kind"] = ToString(rec.kind);
  if (rec.parent_id) payload["parent_id"] = *rec.parent_id;
  if (rec.position) payload["position"] = *rec.position;
  if (!secret_env_[rec.id].empty()) {
    std::vector<std::string> names;
    for (const auto& [k, v] : secret_env_[rec.id]) names.push_back(k);
    payload["secret_env"] = names;  // names only; values never reach the store
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
    rec.metadata["secret_env"] = joined;
  } else {
    secret_env_.erase(rec.id);
  }
  // Secrets in the prompt, the command or an env value (a credential shape, a URL password, or a
  // sensitive --env value repeated in argv) are redacted in everything stored and shown; what runs
  // gets the originals, kept in memory only (like sensitive --env values).
  {
    std::vector<std::string> env_entries;
    for (const auto& [k, v] : req.env) env_entries.push_back(k + "=" + v);
    Redactor::Secrets secrets = Redactor::SecretsFromEnv(env_entries);
    Unredacted original{rec.command, rec.prompt, rec.context, rec.env};
    bool changed = false;
    auto redact = [&](std::string& text) {
      std::string safe = RedactText(text, secrets);
      if (safe != text) changed = true, text = std::move(safe);
    };
    for (auto& arg : rec.command) redact(arg);
    if (rec.prompt) redact(*rec.prompt);
    redact(rec.context);
    for (auto& [k, v] : rec.env) redact(v);
    if (changed) unredacted_[rec.id] = std::move(original);
  }
  Status st = store_.Write([&](StoreTxn& tx) {
    tx.InsertSession(rec);
    tx.InsertEvent(rec.id, "created", payload, rec.created_at);
  });
  if (!st.ok()) {
    unredacted_.erase(rec.id);
    secret_env_.erase(rec.id);
    return st.error();
  }
  if (req.caller_env) caller_env_[rec.id] = std::move(*req.caller_env);
  Notify(rec);
  return rec;
}

// A generated name no session has had (then: no live session has), else one with a number.
std::string SessionManager::UniqueName() {
  auto random = [] {
    uint64_t r = 0;
    for (char c : RandomHex(8)) r = r * 16 + static_cast<uint64_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
    return r;
  };
  for (int i = 0; i < 16; ++i)
    if (std::string n = GeneratedName(random()); !store_.NameTaken(n, false)) return n;
  for (int i = 0; i < 16; ++i)
    if (std::string n = GeneratedName(random()); !store_.NameTaken(n, true)) return n;
  uint64_t r = random();
  for (int suffix = 2;; ++suffix)
    if (std::string n = GeneratedName(r, suffix); !store_.NameTaken(n, true)) return n;
}

// What the session's process must get: its record with the secrets this daemon kept in memory put
// back. Errors: secret_lost when the stored record was redacted and the originals are gone (the
// daemon restarted).
Result<SessionRecord> SessionManager::Unredact(const SessionRecord& rec) const {
  SessionRecord run = rec;
  if (auto it = unredacted_.find(rec.id); it != unredacted_.end()) {
    run.command = it->second.command;
    run.prompt = it->second.prompt;
    run.context = it->second.context;
    run.env = it->second.env;
    return run;
  }
  bool redacted = ContainsRedaction(rec.context) || (rec.prompt && ContainsRedaction(*rec.prompt));
  for (const auto& arg : rec.command) redacted |= rec.tool == "shell" && ContainsRedaction(arg);
  for (const auto& [k, v] : rec.env) redacted |= ContainsRedaction(v);
  if (redacted)
    return Error::Conflict("secret_lost",
                           "session " + rec.id + " held a secret (in its prompt, command or environment) that was "
                           "kept only in the memory of the daemon that created it, and that daemon restarted; "
                           "create the session again");
  return run;
}

EnvMap SessionManager::BuildEnv(const SessionRecord& rec, const LaunchPlan& plan) const {
  EnvMap env;
  // The caller's environment when it sent one (the CLI does), else the daemon's.
  if (auto it = caller_env_.find(rec.id); it != caller_env_.end()) {
    env = EnvMap(it->second.begin(), it->second.end());
    env.erase("AGENTMUX_SESSION_ID");
  } else {
    for (char** e = environ; e && *e; ++e) {
      std::string kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  // The daemon's own plumbing is not the agent's business.
  env.erase("AGENTMUX_DAEMON");
  env["TERM"] = plan.use_pty ? "xterm-256color" : env.count("TERM") ? env["TERM"] : "dumb";
  for (const auto& [k, v] : plan.env) env[k] = v;
  std::string ids;
  for (const auto& s : rec.spec_ids) ids += (ids.empty() ? "" : ",") + s;
  env["LEANSPEC_SPEC_IDS"] = ids;
  env["LEANSPEC_SPEC_ID"] = rec.spec_ids.empty() ? "" : rec.spec_ids.front();
  if (rec.prompt) env["LEANSPEC_PROMPT"] = *rec.prompt;
  else env.erase("LEANSPEC_PROMPT");
  env["LEANSPEC_PROJECT_PATH"] = WorkingDir(rec);
  // Shells and some CLIs (OpenCode) take the working directory from PWD, not getcwd().
  env["PWD"] = WorkingDir(rec);
  env.erase("OLDPWD");
  env["AGENTMUX_SESSION_ID"] = rec.id;
  for (const auto& [k, v] : rec.env) env[k] = v;
  if (auto it = secret_env_.find(rec.id); it != secret_env_.end())
    for (const auto& [k, v] : it->second) env[k] = v;
  return env;
}

}  // namespace agentmux
