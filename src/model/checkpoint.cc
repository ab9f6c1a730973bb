#include "model/checkpoint.h"

#include "base/clock.h"

namespace agentmux {

nlohmann::json ToJson(const CheckpointRecord& c) {
  using nlohmann::json;
  return {{"id", c.id},
          {"session_id", c.session_id},
          {"n", c.n},
          {"kind", c.kind},
          {"message", c.message ? json(*c.message) : json(nullptr)},
          {"created_at", Rfc3339(c.created_at)},
          {"git_commit", c.git_commit},
          {"git_ref", c.git_ref},
          {"tree_path", c.tree_path},
          {"agent_session_id", c.agent_session_id ? json(*c.agent_session_id) : json(nullptr)},
          {"log_seq", c.log_seq},
          {"files_changed", c.files_changed ? json(*c.files_changed) : json(nullptr)},
          {"state", c.state}};
}

}  // namespace agentmux
