#include "store/store.h"

#include "base/clock.h"
#include "store/sqlite_store.h"

namespace agentmux {

nlohmann::json ToJson(const EventRecord& e) {
  return {{"id", e.id}, {"session_id", e.session_id}, {"event_type", e.type}, {"data", e.data},
          {"timestamp", Rfc3339(e.ts)}};
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, StoreOptions options) {
  return SqliteStore::Open(path, std::move(options));
}

}  // namespace agentmux
