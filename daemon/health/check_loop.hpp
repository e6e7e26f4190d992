#pragma once
// A probe run again and again: the first attempt after `first_delay`, each bounded by
// `limit`, the next one `interval` after the last one ended. Nothing polls: one deadline is
// armed at a time, on the Clock (tests move a fake one). on_result gets every outcome and
// may destroy the loop. Destroying it cancels the attempt under way.

#include "daemon/health/probe.hpp"
#include "daemon/system/clock.hpp"

#include <functional>
#include <memory>

namespace konnect {

class CheckLoop {
 public:
  CheckLoop(Clock& clock, std::unique_ptr<Probe> probe, Duration interval, Duration limit,
            std::function<void(Result<void>)> on_result);
  CheckLoop(const CheckLoop&) = delete;
  CheckLoop& operator=(const CheckLoop&) = delete;

  void start(Duration first_delay);

 private:
  void attempt();
  void on_done(Result<void> result);

  std::unique_ptr<Probe> probe_;
  std::unique_ptr<Deadline> next_;
  Duration interval_;
  Duration limit_;
  std::function<void(Result<void>)> on_result_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace konnect
