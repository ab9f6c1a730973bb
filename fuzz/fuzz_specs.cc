// Fuzz target: spec resolution and the context document (src/specs/specs.h) — ResolveSpecs,
// ResolveSpec, ResolveSpecIn and ComposeContext with untrusted ids (API bodies, CLI --spec).
//
// Fixture project (created once per process in a temp dir): specs/001-first/README.md with YAML
// front matter, specs/002-second.md, specs/028-cli-ui.md (plus specs/README.md and a .txt file,
// which are not specs). A second "project" without specs/ exercises the "no specs" errors.
//
// Input: byte 0 holds flags — bit 0: the last line is the prompt for ComposeContext rather than an
// id; bit 1: resolve against the project without specs. The rest, split on '\n', are the ids.
// Aborts when the documented contract breaks: ResolveSpecs succeeding where resolving an id alone
// fails (or the reverse for unknown/ambiguous ids), a different spec for the same id, ResolveSpec ≠
// ResolveSpecIn, a resolved path outside <project>/specs/, errors other than kInvalidArgument
// unknown_spec / ambiguous_spec / too_many_specs, a context that lacks a spec's text or the prompt.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "specs/specs.h"

namespace {

using agentmux_fuzz::Fail;

struct Fixture {
  agentmux_fuzz::TempDir dir{"specs"};
  std::string project, empty_project;
  std::vector<agentmux::Spec> listed;
  Fixture() {
    project = std::filesystem::canonical(dir.path()).string() + "/project";
    empty_project = std::filesystem::canonical(dir.path()).string() + "/empty";
    std::filesystem::create_directories(empty_project);
    agentmux_fuzz::WriteFile(project + "/specs/001-first/README.md",
                             "---\nstatus: in-progress\ncreated: 2025-01-01\ntags: [a, b]\n---\n\n# First spec\n\nDo the first thing.\n");
    agentmux_fuzz::WriteFile(project + "/specs/002-second.md", "# Second spec\n\nNo front matter; no newline at end");
    agentmux_fuzz::WriteFile(project + "/specs/028-cli-ui.md",
                             "---\nstatus: \"planned\"\n---\nbody before the title\n# CLI UI modernization\n");
    agentmux_fuzz::WriteFile(project + "/specs/README.md", "# Not a spec\n");
    agentmux_fuzz::WriteFile(project + "/specs/notes.txt", "not a spec either\n");
    listed = agentmux::ListSpecs(project);
    if (listed.size() != 3) Fail("the fixture project should list 3 specs");
  }
};

const Fixture& F() {
  static Fixture f;
  return f;
}

void CheckError(const agentmux::Error& e, const std::string& what) {
  if (e.kind != agentmux::ErrorKind::kInvalidArgument ||
      (e.code != "unknown_spec" && e.code != "ambiguous_spec" && e.code != "too_many_specs"))
    Fail(("unexpected error from " + what).c_str(), e.code + ": " + e.message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const Fixture& f = F();
  const bool with_prompt = data[0] & 1, no_specs = data[0] & 2;
  const std::string& project = no_specs ? f.empty_project : f.project;
  const std::vector<agentmux::Spec> none;
  const std::vector<agentmux::Spec>& listed = no_specs ? none : f.listed;

  std::vector<std::string> ids;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  for (size_t start = 0;;) {
    size_t nl = rest.find('\n', start);
    ids.emplace_back(rest.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  std::optional<std::string> prompt;
  if (with_prompt) {
    prompt = std::move(ids.back());
    ids.pop_back();
  }

  auto all = agentmux::ResolveSpecs(project, ids);
  if (!all.ok()) CheckError(all.error(), "ResolveSpecs");

  // Each id alone, against the listing (ResolveSpec itself, which lists the directory, for the first).
  bool any_failed = false;
  std::string failed_code;
  for (size_t i = 0; i < ids.size() && i <= agentmux::kMaxSpecsPerSession; ++i) {
    auto one = agentmux::ResolveSpecIn(listed, project, ids[i]);
    if (i == 0) {
      auto direct = agentmux::ResolveSpec(project, ids[0]);
      if (direct.ok() != one.ok() || (direct.ok() && direct->id != one->id) ||
          (!direct.ok() && direct.error().code != one.error().code))
        Fail("ResolveSpec and ResolveSpecIn disagree", ids[0]);
    }
    if (!one.ok()) {
      CheckError(one.error(), "ResolveSpecIn");
      if (!any_failed) failed_code = one.error().code;
      any_failed = true;
      continue;
    }
    if (one->path.rfind(project + "/specs/", 0) != 0) Fail("a spec resolved outside the project's specs/", one->path);
    if (all.ok() && (i >= all->size() || (*all)[i].id != one->id))
      Fail("ResolveSpecs and ResolveSpecIn resolve an id differently", ids[i]);
  }
  if (all.ok()) {
    if (all->size() != ids.size()) Fail("ResolveSpecs returned a different number of specs");
    if (any_failed) Fail("ResolveSpecs succeeded where an id alone does not resolve", failed_code);
  } else if (all.error().code != "too_many_specs") {
    bool bounded = true;  // ResolveSpecs refuses empty and over-long ids before resolving them
    for (const auto& id : ids) bounded = bounded && !id.empty() && id.size() <= agentmux::kMaxSpecIdBytes;
    if (bounded && !any_failed) Fail("ResolveSpecs failed where every id resolves alone", all.error().message);
  }

  std::vector<agentmux::Spec> specs = all.ok() ? *all : std::vector<agentmux::Spec>{};
  std::string context = agentmux::ComposeContext(specs, prompt);
  for (const auto& s : specs)
    if (context.find(s.text) == std::string::npos) Fail("the context lacks a spec's text", s.id);
  if (prompt && !prompt->empty() && context.find(*prompt) == std::string::npos) Fail("the context lacks the prompt");
  if (!context.empty() && context.back() != '\n') Fail("the context does not end with a newline");
  if (context.empty() && (!specs.empty() || (prompt && !prompt->empty()))) Fail("an empty context for something");
  return 0;
}
