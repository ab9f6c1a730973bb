// What the output parsers of the JSON-lines formats of the agent CLIs share: a base that splits
// stdout into lines and hands each JSON object to the CLI's OnJson() (with a containment guard: a
// line a parser cannot read costs that line, reported as a parse_error event).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agents/adapter.h"

namespace agentmux {

// Splits bytes into lines and hands each JSON object line to OnJson(). Non-JSON lines (warnings,
// banners) are skipped. A line longer than 64 MiB is dropped.
class JsonLinesParser : public OutputParser {
 public:
  bool Feed(std::string_view bytes) override;
  bool Finish() override;

 protected:
  // Returns true when the report changed.
  virtual bool OnJson(const nlohmann::json& line) = 0;

 private:
  bool ParseLine(std::string_view line);
  std::string partial_;
};

}  // namespace agentmux
