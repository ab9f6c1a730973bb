#include "session/accounting.h"

#include <algorithm>

namespace agentmux {
using nlohmann::json;

UsageBase BaseForRun(const SessionRecord& s, const SessionRecord* parent) {
  UsageBase base;
  base.own = s.usage.value_or(Usage{});
  base.own_cost = s.cost_usd.value_or(0);
  if (s.conversation_usage || s.conversation_cost_usd) {
    base.conversation = s.conversation_usage.value_or(Usage{});
    base.conversation_cost = s.conversation_cost_usd.value_or(0);
  } else if (parent) {
    base.conversation = parent->conversation_usage.value_or(parent->usage.value_or(Usage{}));
    base.conversation_cost = parent->conversation_cost_usd.value_or(parent->cost_usd.value_or(0));
  }
  return base;
}

bool ApplyUsage(const AgentReport& r, const UsageBase& base, SessionRecord& s) {
  std::optional<Usage> before_usage = s.usage;
  std::optional<double> before_cost = s.cost_usd;
  if (r.usage) {
    Usage run = r.usage_cumulative ? *r.usage - base.conversation : *r.usage;
    s.usage = base.own + run;
    s.conversation_usage = base.conversation + run;
  }
  if (r.cost_usd) {
    double run = r.cost_cumulative ? std::max(0.0, *r.cost_usd - base.conversation_cost) : *r.cost_usd;
    s.cost_usd = base.own_cost + run;
    s.conversation_cost_usd = base.conversation_cost + run;
  }
  return (r.usage && (!before_usage || before_usage->total() != s.usage->total())) ||
         (r.cost_usd && before_cost != s.cost_usd);
}

json UsagePayload(const SessionRecord& s, const AgentReport& r) {
  Usage own = s.usage.value_or(Usage{});
  auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  return {{"input_tokens", own.input_tokens},
          {"output_tokens", own.output_tokens},
          {"cache_read_tokens", own.cache_read_tokens},
          {"cache_creation_tokens", own.cache_creation_tokens},
          {"cost_usd", opt(s.cost_usd)},
          {"conversation_token_count", s.conversation_usage ? json(s.conversation_usage->total()) : json(nullptr)},
          {"conversation_cost_usd", opt(s.conversation_cost_usd)},
          {"reported_cumulative", r.usage_cumulative},
          {"num_turns", opt(r.num_turns)},
          {"is_error", r.is_error.value_or(false)}};
}

}  // namespace agentmux
