// The session record (DESIGN §3): what the store keeps and the API returns for one session.
// Field names are the seed's and the wire format's; JSON conversion lives here so the API, the CLI
// and the tests agree on one shape.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/saturating.h"
#include "model/state.h"

namespace agentmux {

// guided: an interactive PTY a person can attach to; autonomous: the CLI's headless structured
// mode; ralph: a plan of one task rerun until its verify command passes (`run --until`, seed 001).
enum class SessionMode { kGuided, kAutonomous, kRalph };
std::string_view ToString(SessionMode m);
std::optional<SessionMode> ParseSessionMode(std::string_view text);

// What a session is (DESIGN §8): an agent runs one process; a plan (and later a MapReduce job) is
// a parent that runs none — its children (parent_id, position) are agent sessions.
enum class SessionKind { kAgent, kPlan, kMapReduce };
std::string_view ToString(SessionKind k);
std::optional<SessionKind> ParseSessionKind(std::string_view text);

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_creation_tokens = 0;
  // Sums saturate: the figures come from agents' output (untrusted).
  int64_t total() const {
    return SatAdd(SatAdd(input_tokens, output_tokens), SatAdd(cache_read_tokens, cache_creation_tokens));
  }
  Usage operator+(const Usage& o) const {
    return {SatAdd(input_tokens, o.input_tokens), SatAdd(output_tokens, o.output_tokens),
            SatAdd(cache_read_tokens, o.cache_read_tokens), SatAdd(cache_creation_tokens, o.cache_creation_tokens)};
  }
  bool operator==(const Usage&) const = default;
  // Component-wise difference, never below zero.
  Usage operator-(const Usage& o) const {
    auto sub = [](int64_t a, int64_t b) { return a > b ? SatSub(a, b) : 0; };
    return {sub(input_tokens, o.input_tokens), sub(output_tokens, o.output_tokens),
            sub(cache_read_tokens, o.cache_read_tokens), sub(cache_creation_tokens, o.cache_creation_tokens)};
  }
};

// Why a session waits for a person (issue 16): its agent sits idle at its input prompt, asks a
// permission question, or it ended and nobody has looked yet.
enum class AttentionReason { kInput, kPermission, kEnded };
std::string_view ToString(AttentionReason r);
std::optional<AttentionReason> ParseAttentionReason(std::string_view text);

struct Attention {
  AttentionReason reason = AttentionReason::kEnded;
  int64_t since = 0;     // ms since epoch, UTC
  std::string message;   // e.g. the permission question's line; may be empty
  bool operator==(const Attention&) const = default;
};

struct SessionRecord {
  std::string id;            // UUIDv7
  std::string name;          // short handle ("brave-otter"); unique among live sessions; "" on old rows
  std::string project_path;  // absolute, canonical
  std::vector<std::string> spec_ids;  // ordered; resolved full ids ("028-cli-ui")
  std::optional<std::string> prompt;
  std::string tool;  // adapter name
  SessionMode mode = SessionMode::kAutonomous;
  SessionStatus status = SessionStatus::kPending;
  std::optional<int> exit_code;
  std::optional<std::string> signal;  // "SIGKILL" when the process died of a signal
  std::optional<int> pid;             // set while a process runs, cleared after reaping
  std::optional<int64_t> started_at;  // ms since epoch, UTC
  std::optional<int64_t> ended_at;
  std::optional<int64_t> duration_ms;
  std::optional<Usage> usage;          // this session's own usage, from the agent's structured output
  std::optional<double> cost_usd;      // this session's own cost
  // The agent conversation's running totals (this session and the sessions it resumed).
  std::optional<Usage> conversation_usage;
  std::optional<double> conversation_cost_usd;
  std::optional<int64_t> num_turns;
  std::optional<std::string> agent_session_id;  // the agent's own conversation id
  std::optional<std::string> parent_id;
  SessionKind kind = SessionKind::kAgent;
  std::optional<int64_t> position;  // order under the parent (a plan's task index, 0-based)
  // A parent's progress (JSON object; {} for agent sessions). Plans: see workflow/plan.h.
  nlohmann::json state = nlohmann::json::object();
  std::vector<std::string> command;  // argv actually run (or to be run)
  std::map<std::string, std::string> env;  // --env values kept (non-sensitive ones only)
  std::map<std::string, std::string> metadata;
  std::string context;  // composed specs + prompt document delivered to the agent
  std::optional<std::string> error;  // why it failed, in words (e.g. the CLI's own error message)
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> archived_at;
  int64_t log_seq = 0;    // sequence number of the last stored log chunk (0 = none)
  int64_t log_bytes = 0;  // total log bytes
  std::optional<Attention> attention;  // set while the session waits for a person
};

// The short form of an id shown to people: the first 8 hex digits of its last group — the random
// end of a UUIDv7, so sessions made in the same millisecond differ ("8c3f9a2c"). Ids resolve by a
// prefix of either end (store/store.h ResolveId).
std::string ShortId(const std::string& id);

// An agent session's extra arguments for its CLI (metadata agent_args, a JSON array: what came
// after `--` with an agent tool), appended to the argv its adapter builds; [] when none.
std::vector<std::string> AgentArgs(const SessionRecord& s);

// The value of metadata `key`, or "" when it is not set.
std::string MetaOr(const SessionRecord& s, const char* key);

// Where the session's process runs: its git worktree while it has one (metadata worktree "active",
// worktree_path: workflow/checkpoints.h), else its project.
const std::string& WorkingDir(const SessionRecord& s);

// {"reason", "since" (RFC 3339 UTC), "message"} or null.
nlohmann::json ToJson(const std::optional<Attention>& a);

// JSON shape of the API (timestamps RFC 3339 UTC; `spec_ids` always an array; `context` omitted
// unless `with_context`; `plan` is the public part of a plan's state, null for other kinds).
nlohmann::json ToJson(const SessionRecord& s, bool with_context = false);

}  // namespace agentmux
