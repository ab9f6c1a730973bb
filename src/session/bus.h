// The observer bus: who hears about a session's output, status and events (WebSocket clients,
// `logs -f`, `attach`, the UI's list). Subscriptions are handles that unregister themselves.
//
// Threading: loop thread only. An observer may subscribe or unsubscribe (itself or others) from
// inside a callback; the bus copies the subscriber set before each fan-out and skips those gone.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "model/session.h"
#include "store/store.h"

namespace agentmux {

// Receives a session's output, status changes and events, on the loop thread.
class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void OnLog(const LogChunkPtr& chunk) = 0;
  virtual void OnStatus(const SessionRecord& session) = 0;
  virtual void OnEvent(const EventRecord& event) = 0;
  // Watchers only (SessionBus::Watch): a session was deleted.
  virtual void OnDeleted(const std::string& session_id) {}
};

// A subscription of an observer to one session, or of a watcher to all. Move-only; unregisters
// itself when destroyed or reset — and does nothing if the bus is gone first (issue 11: a
// WebSocket client destroyed with the io_context after the manager read freed memory).
// REQUIRES: destroyed on the loop thread.
class ObserverHandle {
 public:
  ObserverHandle() = default;
  ObserverHandle(std::weak_ptr<bool> alive, std::function<void()> remove)
      : alive_(std::move(alive)), remove_(std::move(remove)) {}
  ObserverHandle(ObserverHandle&& o) noexcept : alive_(std::move(o.alive_)), remove_(std::exchange(o.remove_, nullptr)) {}
  ObserverHandle& operator=(ObserverHandle&& o) noexcept {
    if (this != &o) {
      reset();
      alive_ = std::move(o.alive_);
      remove_ = std::exchange(o.remove_, nullptr);
    }
    return *this;
  }
  ObserverHandle(const ObserverHandle&) = delete;
  ObserverHandle& operator=(const ObserverHandle&) = delete;
  ~ObserverHandle() { reset(); }
  void reset() {
    if (remove_ && alive_.lock()) remove_();
    remove_ = nullptr;
  }
  explicit operator bool() const { return remove_ != nullptr; }

 private:
  std::weak_ptr<bool> alive_;
  std::function<void()> remove_;
};

class SessionBus {
 public:
  SessionBus() = default;
  ~SessionBus() { *alive_ = false; }
  SessionBus(const SessionBus&) = delete;
  SessionBus& operator=(const SessionBus&) = delete;

  // `observer` hears session `id`'s OnLog, OnStatus and OnEvent until the handle goes.
  [[nodiscard]] ObserverHandle Observe(const std::string& id, SessionObserver* observer);
  // `watcher` hears OnStatus of every session created or changed, and OnDeleted.
  [[nodiscard]] ObserverHandle Watch(SessionObserver* watcher);

  void Log(const LogChunkPtr& chunk);
  void Event(const EventRecord& event);
  // To the session's observers, and to watchers not already observing it.
  void Status(const SessionRecord& session);
  void Deleted(const std::string& id);
  bool HasObservers(const std::string& id) const { return observers_.count(id) > 0; }

 private:
  void Each(const std::string& id, const std::function<void(SessionObserver*)>& fn);
  std::map<std::string, std::set<SessionObserver*>> observers_;
  std::set<SessionObserver*> watchers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agentmux
