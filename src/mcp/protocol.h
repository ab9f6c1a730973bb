// Model Context Protocol wire helpers (https://modelcontextprotocol.io/specification): JSON-RPC 2.0
// messages, the protocol revisions this server speaks, and the check of tool arguments against
// the tools' input JSON Schemas. Pure functions, thread-safe; no transport here (src/net/ carries
// MCP over Streamable HTTP at /mcp, `agentmux mcp` relays stdio to it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace agentmux::mcp {

// Revisions, newest first: the newest is answered to a client asking for one we do not know
// (version negotiation, "Lifecycle"); the others are echoed back.
inline const std::vector<std::string>& ProtocolVersions() {
  static const std::vector<std::string> v = {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"};
  return v;
}
std::string NegotiateVersion(const std::string& requested);

// JSON-RPC 2.0 error codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kResourceNotFound = -32002;  // MCP: resources/read of an unknown URI

// What one incoming message is.
enum class MessageKind { kRequest, kNotification, kResponse, kInvalid };
MessageKind Classify(const nlohmann::json& message);

nlohmann::json Response(const nlohmann::json& id, nlohmann::json result);
nlohmann::json ErrorMessage(const nlohmann::json& id, int code, const std::string& message,
                            nlohmann::json data = nullptr);
nlohmann::json Notification(const std::string& method, nlohmann::json params);

// The first way `value` breaks `schema`, as "field: what is wrong" (e.g. "tasks[0].prompt: must
// be a string, got number"), or nullopt when it conforms. Supports the subset the tools' schemas
// use: type (one or a list), properties, required, additionalProperties: false, items, enum,
// minimum, maximum, minItems, maxItems.
std::optional<std::string> SchemaViolation(const nlohmann::json& schema, const nlohmann::json& value,
                                           const std::string& path = "");

}  // namespace agentmux::mcp
