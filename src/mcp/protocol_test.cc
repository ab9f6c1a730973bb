#include "mcp/protocol.h"

#include <gtest/gtest.h>

namespace agentmux::mcp {
namespace {
using nlohmann::json;

TEST(McpProtocol, NegotiatesAKnownVersionAndOffersTheNewestOtherwise) {
  EXPECT_EQ(NegotiateVersion("2025-06-18"), "2025-06-18");
  EXPECT_EQ(NegotiateVersion("2024-11-05"), "2024-11-05");
  EXPECT_EQ(NegotiateVersion("1999-01-01"), ProtocolVersions().front());
  EXPECT_EQ(NegotiateVersion(""), ProtocolVersions().front());
}

TEST(McpProtocol, ClassifiesJsonRpcMessages) {
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","id":1,"method":"ping"})")), MessageKind::kRequest);
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","id":"a","method":"ping"})")), MessageKind::kRequest);
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})")),
            MessageKind::kNotification);
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","id":1,"result":{}})")), MessageKind::kResponse);
  EXPECT_EQ(Classify(json::parse(R"({"id":1,"method":"ping"})")), MessageKind::kInvalid);           // no jsonrpc
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})")), MessageKind::kInvalid);
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","id":1,"method":7})")), MessageKind::kInvalid);
  EXPECT_EQ(Classify(json::parse(R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})")), MessageKind::kInvalid);
  EXPECT_EQ(Classify(json::parse("[1,2]")), MessageKind::kInvalid);
}

TEST(McpProtocol, SchemaViolationsNameTheFieldAndWhatIsWrong) {
  json schema = json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["tasks"],
    "properties": {
      "session_id": {"type": "string"},
      "limit": {"type": "integer", "minimum": 1, "maximum": 10},
      "mode": {"type": "string", "enum": ["a", "b"]},
      "tasks": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["prompt"], "properties": {"prompt": {"type": "string"}}}}
    }})");
  EXPECT_EQ(SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}]})")), std::nullopt);
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({})")), "tasks: is required");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[]})")), "tasks: needs at least 1 item(s)");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":3}]})")),
            "tasks[0].prompt: must be a string, got integer");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[{}]})")), "tasks[0].prompt: is required");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}],"limit":"5"})")),
            "limit: must be an integer, got string");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}],"limit":50})")),
            "limit: must be at most 10");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}],"mode":"c"})")),
            R"(mode: must be one of "a", "b", got "c")");
  EXPECT_EQ(*SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}],"bogus":1})")),
            "bogus: unknown argument (known: limit, mode, session_id, tasks)");
  EXPECT_EQ(*SchemaViolation(schema, json::parse("[]")), "arguments: must be an object, got array");
  // 2.0 is an integer; 2.5 is not.
  EXPECT_EQ(SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}],"limit":2.0})")), std::nullopt);
  EXPECT_TRUE(SchemaViolation(schema, json::parse(R"({"tasks":[{"prompt":"x"}],"limit":2.5})")).has_value());
}

}  // namespace
}  // namespace agentmux::mcp
