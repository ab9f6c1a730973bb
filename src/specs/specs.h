// Specs as attached context (seed 000, DESIGN §5). A spec id such as "028" or
// "028-cli-ui-modernization" resolves in the project's specs directory, LeanSpec layout:
//   <project>/specs/NNN-slug/README.md   (YAML front matter, then markdown)
//   <project>/specs/NNN-slug.md
// The composed context (each spec's full text in the given order, then the prompt) is the one
// document delivered to the agent and kept with the session.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace agentmux {

struct Spec {
  std::string id;     // directory or file name without ".md", e.g. "028-cli-ui-modernization"
  std::string path;   // absolute path of the markdown file
  std::string title;  // first "# " heading, or the id
  std::string status; // front matter `status:` if present
  std::string text;   // the whole file
};

// Every spec of the project, sorted by id. Empty when there is no specs/ directory.
std::vector<Spec> ListSpecs(const std::string& project_path);

// The spec `id` names: an exact id, or a number prefix ("028" or "28" matches "028-…") that is
// unique. Errors: kInvalidArgument "unknown_spec" listing up to 3 close matches (or how to create
// specs when the project has none), "ambiguous_spec" when a prefix matches several.
Result<Spec> ResolveSpec(const std::string& project_path, const std::string& id);
// The same against specs already listed (ListSpecs) — no directory read.
Result<Spec> ResolveSpecIn(const std::vector<Spec>& specs, const std::string& project_path, const std::string& id);

// Bounds on what a request may attach (issue 11: 140k ids in one body blocked the loop 4.2 s).
inline constexpr size_t kMaxSpecsPerSession = 100;
inline constexpr size_t kMaxSpecIdBytes = 200;
// Every id of `ids` resolved, in order, listing the specs directory once. Errors: those of
// ResolveSpec, "too_many_specs" (more than kMaxSpecsPerSession), "unknown_spec" for an empty or
// over-long id.
Result<std::vector<Spec>> ResolveSpecs(const std::string& project_path, const std::vector<std::string>& ids);

// The context document: for each spec "## Spec <id>: <title>" + its text, then "## Prompt" + the
// prompt. Empty when there are neither specs nor a prompt.
std::string ComposeContext(const std::vector<Spec>& specs, const std::optional<std::string>& prompt);

// Levenshtein edit distance (bytes), used for "did you mean" lists.
size_t EditDistance(const std::string& a, const std::string& b);

}  // namespace agentmux
