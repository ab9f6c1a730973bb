// Time as the session engine sees it (leveldb's Env, ninja's CommandRunner): a monotonic clock and
// one-shot timers that run on the loop thread. The daemon uses the loop's steady clock
// (MakeLoopTimers); tests drive a ManualTimers by hand, so the stop ladder, --timeout and the drain
// after exit are checked to the millisecond without sleeping.
//
// Threading: loop thread only (the thread running the io_context given to MakeLoopTimers).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>

namespace boost::asio {
class io_context;
}

namespace agentmux {

class Timers {
 public:
  // A pending timer: destroying it cancels the callback (which then never runs).
  class Timer {
   public:
    virtual ~Timer() = default;
  };
  virtual ~Timers() = default;
  // Monotonic milliseconds (durations, deadlines); not a wall-clock time.
  virtual int64_t NowMs() = 0;
  // Runs `fn` once, `ms` (≤ 0: at the next turn of the loop) from now, unless the returned handle
  // was destroyed first. `fn` may destroy the handle.
  [[nodiscard]] virtual std::unique_ptr<Timer> After(int64_t ms, std::function<void()> fn) = 0;
};

// The loop's steady clock and boost::asio::steady_timer. `io` must outlive the result.
std::unique_ptr<Timers> MakeLoopTimers(boost::asio::io_context& io);

// Time that moves only when a test says: Advance(ms) runs every timer that falls due, in due-time
// order (then creation order), each with NowMs() at its due time.
class ManualTimers : public Timers {
 public:
  int64_t NowMs() override { return now_; }
  std::unique_ptr<Timer> After(int64_t ms, std::function<void()> fn) override {
    uint64_t key = next_++;
    pending_->emplace(std::make_pair(now_ + std::max<int64_t>(0, ms), key), std::move(fn));
    return std::make_unique<Handle>(pending_, std::make_pair(now_ + std::max<int64_t>(0, ms), key));
  }
  void Advance(int64_t ms) {
    int64_t until = now_ + ms;
    while (!pending_->empty() && pending_->begin()->first.first <= until) {
      auto due = pending_->begin();
      now_ = due->first.first;
      auto fn = std::move(due->second);
      pending_->erase(due);
      fn();
    }
    now_ = until;
  }
  size_t pending() const { return pending_->size(); }

 private:
  using Queue = std::map<std::pair<int64_t, uint64_t>, std::function<void()>>;
  struct Handle : Timer {
    Handle(std::weak_ptr<Queue> q, std::pair<int64_t, uint64_t> k) : queue(std::move(q)), key(k) {}
    ~Handle() override {
      if (auto q = queue.lock()) q->erase(key);
    }
    std::weak_ptr<Queue> queue;
    std::pair<int64_t, uint64_t> key;
  };
  std::shared_ptr<Queue> pending_ = std::make_shared<Queue>();
  int64_t now_ = 0;
  uint64_t next_ = 0;
};

}  // namespace agentmux
