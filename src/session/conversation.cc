#include "session/conversation.h"

namespace agentmux {

CreateRequest RequestLike(const SessionRecord& parent, const std::map<std::string, std::string>& secret_env) {
  CreateRequest req;
  req.tool = parent.tool;
  req.mode = parent.mode;
  req.project_path = parent.project_path;
  req.spec_ids = parent.spec_ids;
  req.prompt = parent.prompt;
  req.command = parent.tool == "shell" ? parent.command : AgentArgs(parent);
  req.env = parent.env;
  for (const auto& [k, v] : secret_env) req.env[k] = v;
  req.parent_id = parent.id;
  // A worktree session's retry gets a worktree of its own, from the same base.
  if (parent.metadata.count("worktree")) {
    req.worktree = true;
    if (auto it = parent.metadata.find("worktree_base"); it != parent.metadata.end()) req.base = it->second;
  }
  if (auto it = parent.metadata.find("timeout_ms"); it != parent.metadata.end()) {
    try {
      req.timeout_ms = std::stoll(it->second);
    } catch (const std::exception&) {
      // A value this daemon did not write: no timeout rather than a failure.
    }
  }
  return req;
}

std::string ResumeInterruptedContext(const std::optional<std::string>& prompt) {
  std::string out = "Your previous run was interrupted before it finished.";
  if (prompt && !prompt->empty()) out += " You had been asked:\n\n" + *prompt + "\n\n";
  else out += " ";
  return out + "Continue the task where you left off.\n";
}

std::optional<std::string> LostConversation(const Adapter& adapter, const SessionRecord& s,
                                            const std::string& agent_error, const std::string& stderr_tail) {
  if (!s.metadata.count("resume_conversation")) return std::nullopt;
  if (!adapter.ConversationNotFound(agent_error, stderr_tail)) return std::nullopt;
  return agent_error.empty() ? stderr_tail : agent_error;
}

std::string LostConversationError(const SessionRecord& s, const std::string& agent_message) {
  auto it = s.metadata.find("resume_conversation");
  std::string conversation = it == s.metadata.end() ? "?" : it->second;
  return "the agent no longer knows conversation " + conversation +
         (s.metadata.count("fallback") ? "; a fresh conversation seeded with the earlier context was started"
                                       : "; continue with --fallback fresh to start a fresh conversation seeded "
                                         "with the earlier context") +
         " (agent: " + agent_message.substr(0, 300) + ")";
}

std::string FallbackContext(const std::string& parent_context, const std::string& this_context) {
  return parent_context + "\n\n## Earlier conversation lost; continue from here\n\n" + this_context;
}

}  // namespace agentmux
