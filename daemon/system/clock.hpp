#pragma once
// Time as the supervision core sees it: the current time and one-shot deadlines. konnectd's
// clock is the event loop's (AsioClock, a steady_timer per deadline); unit tests use one they
// move by hand (tests/daemon/fake_clock.hpp), so startsecs, backoff and stopwaitsecs are
// tested without waiting for them.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace konnect {

// One re-armable one-shot timer.
class Deadline {
 public:
  virtual ~Deadline() = default;
  // fire runs once, `after` from now, on the loop: unless the deadline is cancelled, armed
  // again or destroyed first, and then never (not even a firing already queued).
  virtual void arm(std::chrono::milliseconds after, std::function<void()> fire) = 0;
  virtual void cancel() = 0;
};

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Milliseconds since the epoch (events), and seconds (status's start, stop and now).
  virtual std::int64_t unix_ms() const = 0;
  std::int64_t unix_now() const { return unix_ms() / 1000; }
  virtual std::unique_ptr<Deadline> make_deadline() = 0;
};

// The real clock, its deadlines on the executor's loop.
class AsioClock final : public Clock {
 public:
  explicit AsioClock(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t unix_ms() const override;
  std::unique_ptr<Deadline> make_deadline() override;

 private:
  boost::asio::any_io_executor executor_;
};

}  // namespace konnect
