#include "daemon/health/check_loop.hpp"

namespace konnect {

CheckLoop::CheckLoop(Clock& clock, std::unique_ptr<Probe> probe, Duration interval, Duration limit,
                     std::function<void(Result<void>)> on_result)
    : probe_(std::move(probe)),
      next_(clock.make_deadline()),
      interval_(interval),
      limit_(limit),
      on_result_(std::move(on_result)) {}

void CheckLoop::start(Duration first_delay) {
  if (first_delay.count() == 0) return attempt();
  next_->arm(first_delay, [this] { attempt(); });
}

void CheckLoop::attempt() {
  // The probe calls back on the loop, never from inside run(), and never once destroyed
  // (it is ours, so it goes with us).
  probe_->run(limit_, [this](Result<void> result) { on_done(std::move(result)); });
}

void CheckLoop::on_done(Result<void> result) {
  const std::weak_ptr<int> alive = alive_;
  // A copy: on_result may destroy the loop, and with it on_result_.
  const auto on_result = on_result_;
  on_result(std::move(result));
  if (alive.expired()) return;  // on_result destroyed the loop
  next_->arm(interval_, [this] { attempt(); });
}

}  // namespace konnect
