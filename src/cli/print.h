// Human-readable output of `view` and `ls`.
#pragma once

#include <nlohmann/json.hpp>

namespace agentmux {

void PrintSession(const nlohmann::json& s);
void PrintList(const nlohmann::json& sessions);

}  // namespace agentmux
