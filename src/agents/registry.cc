// The built-in adapters, in the order `agentmux tools` lists them. A new agent CLI is one file in
// src/agents/ (its adapter, parser and transcript builder) plus one line here (docs/architecture.md).
#include "agents/adapter.h"
#include "agents/transcript.h"

namespace agentmux {

AdapterRegistry::AdapterRegistry() {
  adapters_.push_back(MakeShellAdapter());
  adapters_.push_back(MakeClaudeAdapter());
  adapters_.push_back(MakeCodexAdapter());
  adapters_.push_back(MakeOpencodeAdapter());
  adapters_.push_back(MakeGeminiAdapter());
  adapters_.push_back(MakeCopilotAdapter());
}

const Adapter* AdapterRegistry::Find(const std::string& name) const {
  for (const auto& a : adapters_)
    if (a->name() == name) return a.get();
  return nullptr;
}

std::vector<const Adapter*> AdapterRegistry::All() const {
  std::vector<const Adapter*> out;
  for (const auto& a : adapters_) out.push_back(a.get());
  return out;
}

std::unique_ptr<TranscriptBuilder> AdapterRegistry::NewTranscriptBuilder(const SessionRecord& session) const {
  const Adapter* adapter = Find(session.tool);
  if (!adapter || session.mode != SessionMode::kAutonomous) return nullptr;
  return adapter->NewTranscriptBuilder();
}

}  // namespace agentmux
