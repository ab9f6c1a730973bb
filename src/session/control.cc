// Control of sessions: pause, resume, stop, delete, keystrokes, and the conversation commands
// (continue, retry, and the fallback when an agent lost its conversation).
#include <signal.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "session/conversation.h"
#include "session/live.h"

namespace agentmux {

Result<SessionRecord> SessionManager::Continue(const std::string& id_or_prefix, const std::optional<std::string>& prompt,
                                               bool fallback_fresh) {
  auto parent = Get(id_or_prefix);
  if (!parent.ok()) return parent.error();
  if (parent->kind != SessionKind::kAgent)
    return Error::Conflict("illegal_transition", "continue works on agent sessions; session " + parent->id + " is a " +
                                                     std::string(ToString(parent->kind)) + " (continue one of its tasks, or `resume` it if it was interrupted)");
  if (!IsTerminal(parent->status))
    return Error::Conflict("session_running", "session " + parent->id + " is " + std::string(ToString(parent->status)) +
                                                  "; continue its conversation once it has ended");
  const Adapter* adapter = adapters_.Find(parent->tool);
  if (!adapter || !adapter->SupportsResume())
    return Error::Conflict("no_conversation", "the " + parent->tool + " tool has no conversation to continue");
  if (!parent->agent_session_id)
    return Error::Conflict("no_conversation", "session " + parent->id +
                                                  " never reported a conversation id (did the agent start?); use retry");
  CreateRequest req = LikeParent(*parent);
  if (parent->metadata.count("worktree_path") && parent->metadata.at("worktree") == "active") {
    // The conversation goes on in its worktree (the files it knows are there).
    req.worktree = false;
    req.base.reset();
    for (const auto& [k, v] : parent->metadata)
      if (k.rfind("worktree", 0) == 0) req.metadata[k] = v;
  }
  req.prompt = prompt && !prompt->empty() ? *prompt : std::string("Continue.");
  req.resume_conversation = parent->agent_session_id;
  req.fallback_fresh = fallback_fresh;
  req.start_requested = true;
  auto rec = Create(std::move(req));
  if (!rec.ok()) return rec.error();
  auto started = Start(rec->id);
  if (!started.ok()) (void)Delete(rec->id);
  return started;
}

Result<SessionRecord> SessionManager::Retry(const std::string& id_or_prefix) {
  auto parent = Get(id_or_prefix);
  if (!parent.ok()) return parent.error();
  if (parent->kind != SessionKind::kAgent)
    return Error::Conflict("illegal_transition", "retry works on agent sessions; session " + parent->id + " is a " +
                                                     std::string(ToString(parent->kind)) + " (run its file again with `agentmux plan run`, or `resume` it if it was interrupted)");
  if (parent->status != SessionStatus::kFailed && parent->status != SessionStatus::kCancelled &&
      parent->status != SessionStatus::kInterrupted && parent->status != SessionStatus::kCompleted)
    return Error::Conflict("illegal_transition", "cannot retry a " + std::string(ToString(parent->status)) +
                                                     " session; it has not ended");
  CreateRequest req = LikeParent(*parent);
  req.start_requested = true;
  auto rec = Create(std::move(req));
  if (!rec.ok()) return rec.error();
  auto started = Start(rec->id);
  if (!started.ok()) (void)Delete(rec->id);
  return started;
}

void SessionManager::HandleLostConversation(const SessionRecord& rec, const std::string& agent_message) {
  std::string conversation = rec.metadata.count("resume_conversation") ? rec.metadata.at("resume_conversation") : "?";
  nlohmann::json payload = {{"reason", "conversation_not_found"}, {"conversation", conversation},
                            {"agent_message", agent_message}};
  std::optional<std::string> fallback_id;
  if (rec.metadata.count("fallback") && rec.metadata.at("fallback") == "fresh" && rec.parent_id) {
    // A fresh conversation seeded with what the lost one was given: the parent's context, then the
    // new prompt.
    auto parent = store_.GetSession(*rec.parent_id);
    if (parent.ok()) {
      auto fresh = Create(LikeParent(rec));
      if (fresh.ok()) {
        // Seed: the earlier context, then what this run was asked.
        SessionRecord seeded = *fresh;
        seeded.context = FallbackContext(parent->context, rec.context);
        seeded.metadata["fallback_from"] = rec.id;
        (void)store_.Write([&](StoreTxn& tx) { tx.UpdateSession(seeded); });
        auto started = Start(seeded.id);
        if (started.ok()) fallback_id = seeded.id;
      }
    }
  }
  if (fallback_id) payload["fallback_session_id"] = *fallback_id;
  int64_t now = NowMs();
  std::string id = rec.id;
  (void)store_.Write([&](StoreTxn& tx) {
    tx.InsertEvent(id, "error", payload, now);
    if (fallback_id) tx.SetMetadata(id, "fallback_session_id", *fallback_id);
  });
  bus_.Event(EventRecord{0, id, "error", payload, now});
}

// Why `action` cannot apply to a session this daemon runs no process for: the state machine's
// refusal, or — for a record the store says is running or paused (left by an earlier daemon) —
// that there is no process to act on.
static Error NotLiveError(const SessionRecord& rec, SessionAction action) {
  auto t = Transition(rec.status, action);
  if (!t.ok()) return t.error();
  return Error::Conflict("session_not_running",
                         "no process is running for session " + rec.id + " although it is marked " +
                             std::string(ToString(rec.status)) + " (an earlier daemon left it so); `agentmux stop " +
                             rec.id.substr(0, 13) + "` marks it ended");
}

Result<SessionRecord> SessionManager::Pause(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (got->kind != SessionKind::kAgent) {
    ParentDriver* driver = DriverOf(*got);
    if (!driver) return Error::Unavailable("no_driver", "this daemon cannot drive sessions of kind " + std::string(ToString(got->kind)));
    return driver->Pause(*got);
  }
  auto it = live_.find(got->id);
  if (it == live_.end()) return NotLiveError(*got, SessionAction::kPause);
  Live& live = *it->second;
  if (auto t = Transition(live.rec.status, SessionAction::kPause); !t.ok()) return t.error();
  live.proc->Signal(SIGSTOP);
  auto paused = ApplyTransition(live.rec, SessionAction::kPause, "paused", {{"signal", "SIGSTOP"}});
  if (!paused.ok()) live.proc->Signal(SIGCONT);  // not recorded: leave it running as it says
  return paused;
}

Result<SessionRecord> SessionManager::Resume(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (got->kind != SessionKind::kAgent) {
    ParentDriver* driver = DriverOf(*got);
    if (!driver) return Error::Unavailable("no_driver", "this daemon cannot drive sessions of kind " + std::string(ToString(got->kind)));
    return driver->Resume(*got);
  }
  auto it = live_.find(got->id);
  if (it == live_.end()) {
    if (got->status != SessionStatus::kInterrupted) return NotLiveError(*got, SessionAction::kResume);
    const Adapter* adapter = adapters_.Find(got->tool);
    if (!adapter || !adapter->SupportsResume() || !got->agent_session_id)
      return Error::Conflict("no_conversation",
                             "session " + got->id + " was interrupted, but its agent (" + got->tool +
                                 ") left no conversation to resume; start it again with `agentmux retry " +
                                 got->id.substr(0, 13) + "`");
    SessionRecord rec = std::move(*got);
    rec.metadata["resume_conversation"] = *rec.agent_session_id;
    rec.context = ResumeInterruptedContext(rec.prompt);
    rec.error.reset();
    rec.ended_at.reset();
    rec.exit_code.reset();
    rec.signal.reset();
    return Launch(std::move(rec), SessionAction::kResume, "resumed_conversation");
  }
  Live& live = *it->second;
  if (live.rec.status != SessionStatus::kPaused) {
    auto t = Transition(live.rec.status, SessionAction::kResume);
    return t.ok() ? Error::Conflict("illegal_transition", "session " + live.rec.id + " is not paused") : t.error();
  }
  live.proc->Signal(SIGCONT);
  auto resumed = ApplyTransition(live.rec, SessionAction::kResume, "resumed", {{"signal", "SIGCONT"}});
  if (!resumed.ok()) live.proc->Signal(SIGSTOP);
  return resumed;
}

Result<SessionRecord> SessionManager::Stop(const std::string& id_or_prefix, std::optional<int64_t> grace_ms) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (got->kind != SessionKind::kAgent) {
    ParentDriver* driver = DriverOf(*got);
    if (!driver) return Error::Unavailable("no_driver", "this daemon cannot drive sessions of kind " + std::string(ToString(got->kind)));
    return driver->Stop(*got, grace_ms);
  }
  auto it = live_.find(got->id);
  if (it == live_.end()) {
    SessionRecord rec = *got;
    if (rec.status == SessionStatus::kPending) {
      rec.ended_at = NowMs();
      return ApplyTransition(rec, SessionAction::kStop, "cancelled", {{"reason", "stopped before it started"}});
    }
    if (rec.status == SessionStatus::kRunning || rec.status == SessionStatus::kPaused) {
      // Marked running, but no process of this daemon's: a record an earlier daemon left (issue
      // 11: `stop` used to fail with HTTP 500 here and `rm` refused it forever).
      rec.pid.reset();
      rec.ended_at = NowMs();
      rec.error = "stopped: no process was running for it";
      return ApplyTransition(rec, SessionAction::kStop, "cancelled",
                             {{"reason", "no process was running for this session (left by an earlier daemon)"}});
    }
    return Transition(rec.status, SessionAction::kStop).error();
  }
  Live& live = *it->second;
  if (auto t = Transition(live.rec.status, SessionAction::kStop); !t.ok()) return t.error();
  if (live.stop_requested) return live.rec;  // already on its way down
  BeginStop(live, SessionAction::kStop, "stopped by request",
            std::max<int64_t>(0, grace_ms.value_or(options_.default_grace_ms)));
  return live.rec;
}

void SessionManager::BeginStop(Live& live, SessionAction action, const std::string& reason, int64_t grace_ms) {
  live.stop_requested = true;
  live.stop_action = action;
  live.stop_reason = reason;
  live.proc->Stop(grace_ms);
}

Status SessionManager::Delete(const std::string& id_or_prefix) {
  auto got = Get(id_or_prefix);
  if (!got.ok()) return got.error();
  if (live_.count(got->id) || got->status == SessionStatus::kRunning || got->status == SessionStatus::kPaused)
    return Error::Conflict("session_running", "session " + got->id + " is " + std::string(ToString(got->status)) +
                                                  "; stop it first (`agentmux stop " + got->id.substr(0, 13) + "`)");
  // A parent goes with its children (all ended, like it).
  std::vector<std::string> ids;
  if (got->kind != SessionKind::kAgent) {
    for (const auto& child : Children(got->id)) {
      if (live_.count(child.id) || (!IsTerminal(child.status) && child.status != SessionStatus::kPending))
        return Error::Conflict("session_running", "session " + child.id + " of " + got->id + " is " +
                                                      std::string(ToString(child.status)) + "; stop the " +
                                                      std::string(ToString(got->kind)) + " first");
      ids.push_back(child.id);
    }
  }
  ids.push_back(got->id);
  Status st = store_.Write([&](StoreTxn& tx) {
    for (const auto& id : ids) tx.DeleteSession(id);
  });
  if (st.ok()) {
    for (const auto& id : ids) {
      secret_env_.erase(id);
      caller_env_.erase(id);
      unredacted_.erase(id);
      bus_.Deleted(id);
    }
  }
  return st;
}

Status SessionManager::WriteInput(const std::string& id, const std::string& bytes) {
  auto it = live_.find(id);
  if (it == live_.end()) return Error::Conflict("session_not_running", "session " + id + " is not running");
  return it->second->proc->WriteInput(bytes);
}

Status SessionManager::Resize(const std::string& id, unsigned short cols, unsigned short rows) {
  auto it = live_.find(id);
  if (it == live_.end()) return Error::Conflict("session_not_running", "session " + id + " is not running");
  Live& live = *it->second;
  if (auto st = live.proc->Resize(cols, rows); !st.ok()) return st;
  if (live.screen) live.screen->Resize(cols, rows);
  // Viewers that join later draw at the terminal's current width.
  if (live.rec.metadata["pty_cols"] != std::to_string(cols) || live.rec.metadata["pty_rows"] != std::to_string(rows)) {
    live.rec.metadata["pty_cols"] = std::to_string(cols);
    live.rec.metadata["pty_rows"] = std::to_string(rows);
    SessionRecord snapshot = live.rec;
    store_.Post([snapshot](StoreTxn& tx) { tx.UpdateSession(snapshot); });
    Notify(snapshot);
  }
  return OkStatus();
}

// A request like `stored` for retry/continue: its own values where this daemon still has them
// (see Unredact), and its sensitive --env values still in memory.
CreateRequest SessionManager::LikeParent(const SessionRecord& stored) const {
  auto unredacted = Unredact(stored);
  auto secrets = secret_env_.find(stored.id);
  CreateRequest req = agentmux::RequestLike(unredacted.ok() ? *unredacted : stored,
                                            secrets == secret_env_.end() ? std::map<std::string, std::string>{} : secrets->second);
  // What continues a session starts from the same environment (a plan's tasks: its caller's).
  if (auto it = caller_env_.find(stored.id); it != caller_env_.end()) req.caller_env = it->second;
  return req;
}

}  // namespace agentmux
