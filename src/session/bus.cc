#include "session/bus.h"

#include <vector>

namespace agentmux {

ObserverHandle SessionBus::Observe(const std::string& id, SessionObserver* observer) {
  observers_[id].insert(observer);
  return ObserverHandle(alive_, [this, id, observer] {
    auto it = observers_.find(id);
    if (it == observers_.end()) return;
    it->second.erase(observer);
    if (it->second.empty()) observers_.erase(it);
  });
}

ObserverHandle SessionBus::Watch(SessionObserver* watcher) {
  watchers_.insert(watcher);
  return ObserverHandle(alive_, [this, watcher] { watchers_.erase(watcher); });
}

void SessionBus::Each(const std::string& id, const std::function<void(SessionObserver*)>& fn) {
  auto it = observers_.find(id);
  if (it == observers_.end()) return;
  // Copy: an observer may unsubscribe itself (or another) from inside the callback.
  std::vector<SessionObserver*> copy(it->second.begin(), it->second.end());
  for (auto* o : copy) {
    auto again = observers_.find(id);
    if (again != observers_.end() && again->second.count(o)) fn(o);
  }
}

void SessionBus::Log(const LogChunkPtr& chunk) {
  Each(chunk->session_id, [&](SessionObserver* o) { o->OnLog(chunk); });
}

void SessionBus::Event(const EventRecord& event) {
  Each(event.session_id, [&](SessionObserver* o) { o->OnEvent(event); });
}

void SessionBus::Status(const SessionRecord& session) {
  Each(session.id, [&](SessionObserver* o) { o->OnStatus(session); });
  std::vector<SessionObserver*> copy(watchers_.begin(), watchers_.end());
  auto observing = observers_.find(session.id);
  for (auto* w : copy) {
    if (!watchers_.count(w)) continue;
    if (observing != observers_.end() && observing->second.count(w)) continue;  // heard it already
    w->OnStatus(session);
  }
}

void SessionBus::Deleted(const std::string& id) {
  std::vector<SessionObserver*> copy(watchers_.begin(), watchers_.end());
  for (auto* w : copy)
    if (watchers_.count(w)) w->OnDeleted(id);
}

}  // namespace agentmux
