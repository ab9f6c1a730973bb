// A checkpoint (DESIGN §8, issue 15): a commit of a session's working tree kept under
// refs/agentmux/checkpoints/<session id>/<n>. Plain data; JSON shape of docs/api.md "Checkpoint".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace agentmux {

struct CheckpointRecord {
  std::string id;          // UUIDv7
  std::string session_id;
  int64_t n = 0;           // 1, 2, 3 … per session
  std::string kind;        // before | after | manual | undo
  std::optional<std::string> message;
  int64_t created_at = 0;  // ms since epoch, UTC
  int64_t log_seq = 0;     // the session's last log chunk then
  std::string git_commit;  // 40 hex
  std::string git_ref;     // refs/agentmux/checkpoints/<session id>/<n>
  std::string tree_path;   // the working tree it is of (absolute)
  std::optional<std::string> agent_session_id;
  std::optional<int64_t> files_changed;  // vs the session's previous checkpoint (null for the first)
  nlohmann::json state = nlohmann::json::object();
  nlohmann::json metadata = nlohmann::json::object();
};

nlohmann::json ToJson(const CheckpointRecord& c);

}  // namespace agentmux
