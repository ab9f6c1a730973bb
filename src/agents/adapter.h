// Adapters: what agentmux knows about one agent CLI (DESIGN §5) — where its binary is, what its
// environment lacks, the command line for a session, whether it runs under a PTY or pipes, and how
// its structured output becomes session facts (conversation id, usage, cost, errors).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agents/transcript.h"
#include "base/result.h"
#include "model/session.h"

namespace agentmux {

// The environment a session's process gets (name → value), daemon's environment included.
using EnvMap = std::map<std::string, std::string>;

// How to launch one session's process.
struct LaunchPlan {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;  // added on top of the daemon's environment
  bool use_pty = true;
  std::optional<std::string> stdin_data;  // pipes mode: written to stdin, then stdin is closed
  // The agent's conversation id when it is known before the run (pre-assigned or resumed).
  std::optional<std::string> agent_session_id;
  // The process gets its own TMPDIR ($AGENTMUX_HOME/tmp/<session id>), removed when the session
  // ends: agent CLIs leave files in /tmp (OpenCode a 5.5 MB .so per run, Gemini error reports;
  // shared/reference/agents/REPORT.md). A TMPDIR given with --env wins.
  bool private_tmp = false;
};

// Facts an output parser found so far. Each field is set once seen; later values replace earlier.
struct AgentReport {
  std::optional<std::string> agent_session_id;
  std::optional<Usage> usage;
  std::optional<double> cost_usd;
  // What the CLI's figures cover (REPORT.md "Points that matter"): false = this run only; true =
  // the whole conversation so far, earlier runs (resumes) included.
  bool usage_cumulative = false;
  bool cost_cumulative = false;
  std::optional<int64_t> num_turns;
  std::optional<bool> is_error;          // the agent said its run failed
  std::optional<std::string> error;      // the agent's own error text
  std::optional<std::string> model;
  std::optional<std::string> agent_version;
};

// One step of the agent's work in the same words for every CLI, stored as a session event
// (session_events, DESIGN §3) and streamed as {"type":"event"}. Types and `data`:
//   turn_started   {}                                   the agent began answering a prompt
//   turn_finished  {"is_error": bool}                   it finished (a turn of the conversation)
//   tool_use       {"tool": name, "input": summary}     it called a tool; the summary is
//                                                       SummarizeToolInput (transcript.h)
//   error          {"message": text}                    it reported an error (also retry notices)
struct AgentEvent {
  std::string type;
  nlohmann::json data;
};

// Turns an agent's structured stdout into an AgentReport. Not thread-safe; one per session.
// REQUIRES: one parser per process run.
class OutputParser {
 public:
  virtual ~OutputParser() = default;
  // Feeds raw stdout bytes (any split). Returns true when the report changed.
  virtual bool Feed(std::string_view bytes) = 0;
  // End of output: parses a last line without a newline. Returns true when the report changed.
  virtual bool Finish() = 0;
  const AgentReport& report() const { return report_; }
  // The events seen since the last call, oldest first.
  std::vector<AgentEvent> TakeEvents() { return std::exchange(events_, {}); }

 protected:
  void Emit(std::string type, nlohmann::json data = nlohmann::json::object()) {
    events_.push_back({std::move(type), std::move(data)});
  }
  AgentReport report_;

 private:
  std::vector<AgentEvent> events_;
};

// What `agentmux tools` reports about one adapter.
struct ToolInfo {
  std::string name;
  std::optional<std::string> binary_path;
  std::optional<std::string> version;
  bool available = false;
  std::string install_hint;  // how to get the binary
  std::vector<std::string> notes;  // what the environment check found
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual std::string name() const = 0;
  virtual SessionMode default_mode() const = 0;
  // Builds the launch plan. `path_env` is the PATH the child will see. Errors: kUnavailable
  // "binary_not_found" with an install hint; kInvalidArgument for a session the adapter cannot run
  // (e.g. a shell session without a command).
  virtual Result<LaunchPlan> Plan(const SessionRecord& session, const std::string& path_env) const = 0;
  // A parser for the structured output of `session`, or nullptr when the output is a terminal stream.
  // `env` is the environment the process was started with (some CLIs keep usage in their own
  // state dir under HOME, e.g. Copilot).
  virtual std::unique_ptr<OutputParser> NewParser(const SessionRecord& session, const EnvMap& env) const {
    return nullptr;
  }
  // Binary discovery and environment check; never fails.
  virtual ToolInfo Inspect(const std::string& path_env) const = 0;
  // Whether Plan() honours metadata "resume_conversation" (the agent's conversation id).
  virtual bool SupportsResume() const { return false; }
  // Whether Plan() honours metadata "fork_conversation" with "resume_conversation": a new
  // conversation that starts as a copy of the given one (Claude Code's --fork-session).
  virtual bool SupportsFork() const { return false; }
  // True when a resumed run failed because the agent does not know the conversation (each CLI's
  // "no conversation found"); `agent_error` is the parser's error text, `stderr_tail` the end of
  // stderr.
  virtual bool ConversationNotFound(const std::string& agent_error, const std::string& stderr_tail) const {
    return false;
  }
  // A builder of transcript items from this CLI's structured output (autonomous mode,
  // transcript.h), or nullptr when its output is a terminal stream.
  virtual std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder() const { return nullptr; }
  // Whether a guided session's TUI is read for attention (ScreenAttention); the engine keeps a
  // screen model (agents/screen.h) only for these.
  virtual bool ReadsScreen() const { return false; }
  // What the guided TUI's visible rows (TerminalScreen::Rows) say: kPermission when it asks whether
  // it may act, kInput when it sits idle at its input prompt, nullopt while it works or when the
  // screen shows neither. Each rule comes from a recorded screen of the genuine CLI
  // (tests/fixtures/tui/). `message` gets the question's line for kPermission.
  virtual std::optional<AttentionReason> ScreenAttention(const std::vector<std::string>& rows,
                                                         std::string& message) const {
    return std::nullopt;
  }
};

class AdapterRegistry {
 public:
  AdapterRegistry();  // registers every built-in adapter
  const Adapter* Find(const std::string& name) const;
  std::vector<const Adapter*> All() const;
  // A transcript builder for `session`'s output, or nullptr when it has no transcript: its tool
  // has no structured output, or it runs in guided mode (a terminal stream under a PTY).
  std::unique_ptr<TranscriptBuilder> NewTranscriptBuilder(const SessionRecord& session) const;

 private:
  std::vector<std::unique_ptr<Adapter>> adapters_;
};

std::unique_ptr<Adapter> MakeShellAdapter();
std::unique_ptr<Adapter> MakeClaudeAdapter();
std::unique_ptr<Adapter> MakeCodexAdapter();
std::unique_ptr<Adapter> MakeOpencodeAdapter();
std::unique_ptr<Adapter> MakeGeminiAdapter();
std::unique_ptr<Adapter> MakeCopilotAdapter();

// The version of the CLI at `binary`: from the package.json of the npm package the binary belongs
// to (no process started), else the first line of `binary --version` (at most 5 s). Cached per
// path and modification time. Thread-safe. nullopt when neither works.
std::optional<std::string> ProbeVersion(const std::string& binary);

}  // namespace agentmux
