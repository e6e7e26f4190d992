// A Process across `konnectctl reexec` (SPEC.md "Upgrade in place"): its state machine as
// common/handoff's ProcessState, and back. Times are absolute CLOCK_MONOTONIC (steady_clock),
// which goes on across execve, so a deadline fires when it would have in the old image.

#include "daemon/supervision/process.hpp"

#include "common/process_info.hpp"

#include <algorithm>

namespace konnect {
namespace {

std::int64_t to_ns(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Clock::TimePoint from_ns(std::int64_t ns) {
  return Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

std::optional<Health> health_from(std::string_view text) {
  for (const Health h : {Health::None, Health::Ok, Health::Failing}) {
    if (to_string(h) == text) return h;
  }
  return std::nullopt;
}

}  // namespace

handoff::ProcessState Process::snapshot() const {
  handoff::ProcessState s;
  s.state = std::string(to_string(state_));
  s.pid = pid_;
  s.spawn_id = spawn_id_;
  s.last_pid = last_pid_;
  s.last_exit = last_exit_;
  s.last_exit_expected = last_exit_expected_;
  s.backoff_count = backoff_count_;
  s.crash_streak = crash_streak_;
  s.delay_ms = delay_.count();
  s.start_after_stop = start_after_stop_;
  s.stop_prelude_pending = prelude_pending_;
  s.settled = settled_;
  s.started_at_ns = to_ns(started_at_);
  s.start_time = start_time_;
  s.starts = starts_;
  s.stop_time = stop_time_;
  s.exitstatus = exitstatus_;
  s.spawnerr = spawnerr_;
  s.exec_error = exec_error_;
  s.log_error = log_error_;
  s.not_ready = not_ready_;
  s.ready_timed_out = ready_timed_out_;
  if (ready_timeout_) s.ready_timeout_ms = ready_timeout_->count();
  s.stop_reason = stop_reason_;
  s.health = std::string(to_string(health_));
  s.notify_status = notify_status_;
  s.watchdog_reason = watchdog_reason_;
  if (timer_at_) s.timer_at_ns = to_ns(*timer_at_);
  return s;
}

Result<void> Process::restore(const handoff::ProcessState& s) {
  const auto state = state_from_string(s.state);
  const auto health = health_from(s.health);
  if (!state || !health) return make_error(ErrorCode::Failed, namespec() + ": unreadable state '" + s.state + "'");
  // A state with a main process has its pid, and one without has none (STARTING, RUNNING and
  // STOPPING run one; the others are down or waiting).
  const bool runs = *state == State::Starting || *state == State::Running || *state == State::Stopping;
  if (runs != (s.pid != 0)) {
    return make_error(ErrorCode::Failed, namespec() + ": state " + s.state + " with pid " + std::to_string(s.pid));
  }
  cancel_timer();
  state_ = *state;
  pid_ = s.pid;
  spawn_id_ = s.spawn_id;
  last_pid_ = s.last_pid;
  last_exit_ = s.last_exit;
  last_exit_expected_ = s.last_exit_expected;
  backoff_count_ = s.backoff_count;
  crash_streak_ = s.crash_streak;
  delay_ = Duration(s.delay_ms);
  start_after_stop_ = s.start_after_stop;
  prelude_pending_ = s.stop_prelude_pending;
  settled_ = s.settled;
  started_at_ = from_ns(s.started_at_ns);
  start_time_ = s.start_time;
  starts_ = s.starts;
  stop_time_ = s.stop_time;
  exitstatus_ = s.exitstatus;
  spawnerr_ = s.spawnerr;
  exec_error_ = s.exec_error;
  log_error_ = s.log_error;
  not_ready_ = s.not_ready;
  ready_timed_out_ = s.ready_timed_out;
  ready_timeout_.reset();
  if (s.ready_timeout_ms) ready_timeout_ = Duration(*s.ready_timeout_ms);
  stop_reason_ = s.stop_reason;
  health_ = *health;
  notify_status_ = s.notify_status;
  watchdog_reason_ = s.watchdog_reason;
  if (s.timer_at_ns) {
    // Due while the image changed: it fires at once, as a late timer would.
    const auto left = std::chrono::duration_cast<Duration>(from_ns(*s.timer_at_ns) - host_.clock().now());
    arm_timer(std::max(left, Duration{0}));
    timer_at_ = from_ns(*s.timer_at_ns);
  }
  return {};
}

}  // namespace konnect
