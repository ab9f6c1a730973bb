#include "specs/specs.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace agentmux {
namespace fs = std::filesystem;
namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void FillFromText(Spec& spec) {
  std::istringstream in(spec.text);
  std::string line;
  bool in_front = false, first = true;
  while (std::getline(in, line)) {
    if (first && line == "---") {
      in_front = true;
      first = false;
      continue;
    }
    first = false;
    if (in_front) {
      if (line == "---") in_front = false;
      else if (line.rfind("status:", 0) == 0) {
        spec.status = line.substr(7);
        spec.status.erase(0, spec.status.find_first_not_of(" \"'"));
        spec.status.erase(spec.status.find_last_not_of(" \"'") + 1);
      }
      continue;
    }
    if (line.rfind("# ", 0) == 0) {
      spec.title = line.substr(2);
      break;
    }
  }
  if (spec.title.empty()) spec.title = spec.id;
}

// "028-cli" → "028"; "28" → "28"; "cli" → "".
std::string NumberPart(const std::string& id) {
  size_t n = 0;
  while (n < id.size() && std::isdigit(static_cast<unsigned char>(id[n]))) ++n;
  return id.substr(0, n);
}

// "028" → "28", "000" → "0": numbers compared as text, so no id overflows a long.
std::string Canonical(const std::string& num) {
  size_t i = num.find_first_not_of('0');
  return i == std::string::npos ? "0" : num.substr(i);
}

// A distance between two numbers of at most 15 digits (else "far").
size_t NumberDistance(const std::string& a, const std::string& b) {
  if (a.size() > 15 || b.size() > 15) return SIZE_MAX / 2;
  return static_cast<size_t>(std::llabs(std::stoll(a) - std::stoll(b)));
}

}  // namespace

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<Spec> ListSpecs(const std::string& project_path) {
  std::vector<Spec> out;
  fs::path dir = fs::path(project_path) / "specs";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    Spec spec;
    if (entry.is_directory(ec)) {
      fs::path readme = entry.path() / "README.md";
      if (!fs::is_regular_file(readme, ec)) continue;
      spec.id = entry.path().filename().string();
      spec.path = readme.string();
    } else if (entry.path().extension() == ".md" && entry.path().filename() != "README.md") {
      spec.id = entry.path().stem().string();
      spec.path = entry.path().string();
    } else {
      continue;
    }
    spec.text = ReadFile(spec.path);
    FillFromText(spec);
    out.push_back(std::move(spec));
  }
  std::sort(out.begin(), out.end(), [](const Spec& a, const Spec& b) { return a.id < b.id; });
  return out;
}

Result<Spec> ResolveSpec(const std::string& project_path, const std::string& id) {
  return ResolveSpecIn(ListSpecs(project_path), project_path, id);
}

Result<std::vector<Spec>> ResolveSpecs(const std::string& project_path, const std::vector<std::string>& ids) {
  if (ids.size() > kMaxSpecsPerSession)
    return Error::InvalidArgument("too_many_specs", std::to_string(ids.size()) + " specs given; a session takes at most " +
                                                        std::to_string(kMaxSpecsPerSession));
  std::vector<Spec> out;
  if (ids.empty()) return out;
  auto specs = ListSpecs(project_path);
  for (const auto& id : ids) {
    if (id.empty()) return Error::InvalidArgument("unknown_spec", "an empty spec id was given");
    if (id.size() > kMaxSpecIdBytes)
      return Error::InvalidArgument("unknown_spec", "a spec id of " + std::to_string(id.size()) +
                                                        " bytes was given; spec ids are at most " +
                                                        std::to_string(kMaxSpecIdBytes) + " bytes");
    auto spec = ResolveSpecIn(specs, project_path, id);
    if (!spec.ok()) return spec.error();
    out.push_back(std::move(*spec));
  }
  return out;
}

Result<Spec> ResolveSpecIn(const std::vector<Spec>& specs, const std::string& project_path, const std::string& id) {
  if (specs.empty()) {
    return Error::InvalidArgument("unknown_spec", "spec '" + id + "' not found: " + project_path +
                                                      " has no specs/ directory with LeanSpec specs "
                                                      "(specs/NNN-name/README.md or specs/NNN-name.md)");
  }
  for (const auto& s : specs)
    if (s.id == id) return s;
  std::vector<const Spec*> matches;
  std::string want_num = NumberPart(id);
  if (!want_num.empty() && want_num == id) {
    std::string want = Canonical(want_num);
    for (const auto& s : specs) {
      std::string num = NumberPart(s.id);
      if (!num.empty() && Canonical(num) == want) matches.push_back(&s);
    }
  }
  if (matches.empty())
    for (const auto& s : specs)
      if (s.id.rfind(id + "-", 0) == 0) matches.push_back(&s);
  if (matches.size() == 1) return *matches.front();
  if (matches.size() > 1) {
    std::string list;
    for (const auto* m : matches) list += " " + m->id;
    return Error::InvalidArgument("ambiguous_spec", "spec id '" + id + "' matches several specs:" + list);
  }
  // Rank by name distance; for a numeric id, by how far the numbers are apart ("321" → 320 first).
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& s : specs) {
    // Long ids are cut for ranking: the distance costs |id| × |name|.
    std::string probe = id.substr(0, 64);
    size_t d = std::min(EditDistance(probe, s.id), EditDistance(probe, s.id.substr(s.id.find('-') + 1)));
    std::string num = NumberPart(s.id);
    if (!want_num.empty() && want_num == id && !num.empty()) d = NumberDistance(Canonical(num), Canonical(want_num));
    ranked.emplace_back(d, s.id);
  }
  std::sort(ranked.begin(), ranked.end());
  std::string close;
  for (size_t i = 0; i < std::min<size_t>(3, ranked.size()); ++i) close += (i ? ", " : "") + ranked[i].second;
  return Error::InvalidArgument("unknown_spec", "spec '" + id.substr(0, 200) + "' not found in " + project_path +
                                                    "/specs; close matches: " + close);
}

std::string ComposeContext(const std::vector<Spec>& specs, const std::optional<std::string>& prompt) {
  std::string out;
  for (const auto& s : specs) {
    if (!out.empty()) out += "\n\n";
    out += "## Spec " + s.id + ": " + s.title + "\n\n" + s.text;
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  if (prompt && !prompt->empty()) {
    if (!out.empty()) out += "\n\n## Prompt\n\n";
    out += *prompt;
    if (out.back() != '\n') out += '\n';
  }
  return out;
}

}  // namespace agentmux
