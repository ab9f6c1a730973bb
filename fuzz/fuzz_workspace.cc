// Fuzz target: what MCP clients and projects send that agentmux parses itself (issue 17).
//   byte 0 even: workspace detection (workflow/workspace.h) over a project whose files hold the
//     input — the rest, cut at NUL bytes, becomes in order: package.json, pnpm-workspace.yaml,
//     Cargo.toml, go.work, go.mod, pyproject.toml, .git (a gitdir file), composer.json,
//     pubspec.yaml, Makefile, packages/app/package.json; detection runs from packages/app/src.
//   byte 0 odd: an MCP message (mcp/protocol.h): Classify, then SchemaViolation of its params
//     against a schema of the shape the tools use (nested objects and arrays, enums, bounds) and of
//     the params against themselves read as a schema.
// Properties besides crashes and sanitizer reports: detection either fails with
// no_such_directory or describes a root that contains the path it started from; ToJson of the
// result serialises (invalid UTF-8 replaced); the same input detected twice gives the same JSON.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "mcp/protocol.h"
#include "workflow/workspace.h"

namespace {

using nlohmann::json;

const char* kFiles[] = {"package.json", "pnpm-workspace.yaml", "Cargo.toml", "go.work", "go.mod", "pyproject.toml",
                        ".git", "composer.json", "pubspec.yaml", "Makefile", "packages/app/package.json"};

void Workspace(std::string_view data) {
  static agentmux_fuzz::TempDir dir("workspace");
  std::filesystem::path root = std::filesystem::path(dir.path()) / "repo";
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  std::filesystem::create_directories(root / "packages/app/src", ec);
  size_t i = 0, pos = 0;
  while (pos <= data.size() && i < std::size(kFiles)) {
    size_t end = data.find('\0', pos);
    std::string_view piece = data.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    std::ofstream(root / kFiles[i], std::ios::binary).write(piece.data(), static_cast<std::streamsize>(piece.size()));
    ++i;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  std::string start = (root / "packages/app/src").string();
  auto w = agentmux::DetectWorkspace(start);
  if (!w.ok()) {
    if (w.error().code != "no_such_directory") agentmux_fuzz::Fail("unexpected error", w.error().code);
    return;
  }
  std::string root_dir = w->root;
  if (start.rfind(root_dir, 0) != 0) agentmux_fuzz::Fail("the root does not contain the path", root_dir + " vs " + start);
  std::string once = agentmux::ToJson(*w).dump(-1, ' ', false, json::error_handler_t::replace);
  auto again = agentmux::DetectWorkspace(start);
  if (!again.ok() || agentmux::ToJson(*again).dump(-1, ' ', false, json::error_handler_t::replace) != once)
    agentmux_fuzz::Fail("detection is not deterministic", once);
}

void Message(std::string_view data) {
  json m = json::parse(data, nullptr, false);
  if (m.is_discarded()) return;
  (void)agentmux::mcp::Classify(m);
  static const json schema = json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["name"],
    "properties": {
      "name": {"type": "string", "enum": ["agentmux_run", "orchestrator_plan_task"]},
      "arguments": {"type": "object", "properties": {
        "tasks": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "object", "required": ["prompt"],
          "additionalProperties": false, "properties": {"prompt": {"type": "string"}, "worktree": {"type": "boolean"},
          "specs": {"type": "array", "items": {"type": "string"}}, "timeout_ms": {"type": "integer", "minimum": 1}}}},
        "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 1000}}},
      "_meta": {"type": "object"}}})");
  const json params = m.is_object() && m.contains("params") ? m["params"] : m;
  (void)agentmux::mcp::SchemaViolation(schema, params);
  (void)agentmux::mcp::SchemaViolation(params, params);  // any JSON as a schema must not crash either
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if (bytes[0] % 2 == 0) Workspace(data);
  else Message(data);
  return 0;
}
