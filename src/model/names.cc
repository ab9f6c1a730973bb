#include "model/names.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace agentmux {
namespace {

constexpr std::array<const char*, 48> kAdjectives = {
    "brave",  "calm",   "clever", "cosmic", "crisp",  "daring", "eager",  "fancy",  "fuzzy",  "gentle", "glad",   "golden",
    "happy",  "hardy",  "honest", "jolly",  "keen",   "kind",   "lively", "lucky",  "mellow", "merry",  "mighty", "nimble",
    "noble",  "plucky", "polite", "proud",  "quick",  "quiet",  "rapid",  "ready",  "robust", "rosy",   "silent", "sleek",
    "snappy", "sonic",  "spry",   "steady", "sunny",  "swift",  "tidy",   "trusty", "vivid",  "warm",   "witty",  "zesty"};
constexpr std::array<const char*, 48> kAnimals = {
    "otter",  "badger", "beaver", "bison",  "cobra",  "condor", "coyote", "crane",  "dingo",  "dolphin", "eagle",  "ferret",
    "finch",  "gecko",  "gopher", "heron",  "hornet", "husky",  "ibis",   "jackal", "jaguar", "koala",   "lemur",  "lynx",
    "magpie", "marmot", "marten", "moose",  "narwhal", "ocelot", "osprey", "owl",   "panda",  "parrot",  "pelican", "puffin",
    "python", "quokka", "raven",  "salmon", "seal",   "sparrow", "tapir", "tiger",  "toucan", "walrus",  "wombat", "yak"};

}  // namespace

std::string GeneratedName(uint64_t random, int suffix) {
  std::string name = std::string(kAdjectives[random % kAdjectives.size()]) + "-" +
                     kAnimals[(random / kAdjectives.size()) % kAnimals.size()];
  if (suffix > 1) name += "-" + std::to_string(suffix);
  return name;
}

std::optional<std::string> InvalidNameReason(const std::string& name) {
  if (name.empty() || name.size() > 40) return "a name has 1 to 40 characters";
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return "a name starts with a letter or a digit";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return "a name holds only letters, digits, '-', '_' and '.'";
  if (name == "last") return "'last' means the most recent session; pick another name";
  if (std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '-'; }))
    return "a name made only of hex digits would read as an id; add another letter";
  return std::nullopt;
}

}  // namespace agentmux
