// What a new session is created from (POST /api/sessions, `agentmux run`, continue, retry).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/session.h"

namespace agentmux {

struct CreateRequest {
  std::string tool;                      // adapter name; "" = shell when `command` is set
  std::optional<SessionMode> mode;       // default: the adapter's
  std::string project_path;              // must be an existing directory; canonicalised
  std::vector<std::string> spec_ids;     // ordered; each must resolve (specs/specs.h)
  std::optional<std::string> prompt;
  std::vector<std::string> command;      // argv for the shell tool; an agent tool: extra arguments for its CLI (appended)
  std::map<std::string, std::string> env;  // --env KEY=VAL
  // The session's name (model/names.h rules; unique among live sessions); "" = a generated one.
  std::string name;
  // The environment the session's process starts from (the CLI caller's, issue 16), instead of
  // the daemon's; kept in memory only, never stored. The adapter's variables and `env` go on top.
  std::optional<std::map<std::string, std::string>> caller_env;
  std::optional<std::string> parent_id;
  unsigned short cols = 0, rows = 0;     // initial PTY size (0 = 120x40)
  std::optional<int64_t> timeout_ms;     // end the session (stop ladder, status failed) after this long
  // Continue the agent's conversation with this id (the adapter adds its resume flag). Set by
  // Continue(); with it, the context delivered is the prompt alone.
  std::optional<std::string> resume_conversation;
  bool fallback_fresh = false;           // if the agent no longer knows the conversation, start afresh
  // Created to be started at once (create-and-start): recovery cancels it if a crash cut the two
  // apart (metadata start_requested).
  bool start_requested = false;
  // Workflows (DESIGN §8): a parent's kind (it runs no process), a child's order under its parent,
  // a parent's progress; the context to deliver instead of the composed specs + prompt; metadata
  // keys to set (e.g. a plan task's plan_role, attempt).
  SessionKind kind = SessionKind::kAgent;
  std::optional<int64_t> position;
  nlohmann::json state = nlohmann::json::object();
  std::optional<std::string> context;
  std::map<std::string, std::string> metadata;
  // Run in a git worktree of its own (issue 15: workflow/checkpoints.h makes it at start) on a
  // branch from `base` (default HEAD).
  bool worktree = false;
  std::optional<std::string> base;
};

}  // namespace agentmux
