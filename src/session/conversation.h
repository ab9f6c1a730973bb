// Conversation policy (DESIGN §8): how a session continues an agent's conversation — retry and
// continue build a request like the parent; a resumed run whose CLI no longer knows the
// conversation is recognised, said in words, and (with --fallback fresh) restarted from a context
// seeded with what the lost conversation was given. Pure functions, thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "agents/adapter.h"
#include "model/session.h"
#include "session/request.h"

namespace agentmux {

// A create request for a new session like `parent` (tool, mode, project, specs, prompt, command of
// a shell session, env plus the sensitive values still in memory, timeout), parent_id = parent.id.
CreateRequest RequestLike(const SessionRecord& parent, const std::map<std::string, std::string>& secret_env);

// What an interrupted session is told when its conversation is resumed: that it was interrupted,
// and what it was asked (`prompt`, when it had one) — a CLI killed mid-turn may not have kept it.
std::string ResumeInterruptedContext(const std::optional<std::string>& prompt);

// When `session` resumed a conversation (metadata resume_conversation) and failed because the
// agent does not know it (Adapter::ConversationNotFound), the agent's words; else nullopt.
std::optional<std::string> LostConversation(const Adapter& adapter, const SessionRecord& session,
                                            const std::string& agent_error, const std::string& stderr_tail);

// The session's error for a lost conversation: which one, what to do (or what was done).
std::string LostConversationError(const SessionRecord& session, const std::string& agent_message);

// The context of a fresh conversation replacing a lost one: the earlier context, then this run's.
std::string FallbackContext(const std::string& parent_context, const std::string& this_context);

}  // namespace agentmux
