#include "session/timers.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"

namespace agentmux {
namespace {

class LoopTimer : public Timers::Timer {
 public:
  LoopTimer(boost::asio::io_context& io, int64_t ms, std::function<void()> fn)
      : timer_(io, std::chrono::milliseconds(std::max<int64_t>(0, ms))) {
    std::weak_ptr<bool> alive = alive_;
    timer_.async_wait([alive, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec && alive.lock()) fn();
    });
  }
  ~LoopTimer() override { *alive_ = false; }

 private:
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class LoopTimers : public Timers {
 public:
  explicit LoopTimers(boost::asio::io_context& io) : io_(io) {}
  int64_t NowMs() override { return MonotonicMs(); }
  std::unique_ptr<Timer> After(int64_t ms, std::function<void()> fn) override {
    return std::make_unique<LoopTimer>(io_, ms, std::move(fn));
  }

 private:
  boost::asio::io_context& io_;
};

}  // namespace

std::unique_ptr<Timers> MakeLoopTimers(boost::asio::io_context& io) { return std::make_unique<LoopTimers>(io); }

}  // namespace agentmux
