#include "daemon/supervision/process.hpp"

#include "common/signal_names.hpp"
#include "common/config/units.hpp"

#include <spdlog/spdlog.h>

#include <sys/wait.h>

#include <algorithm>
#include <cassert>
#include <csignal>
#include <cstring>
#include <ctime>

namespace konnect {

namespace {

constexpr const char* kExitedTooQuickly = "Exited too quickly (process log may have details)";

}  // namespace

int exit_status_code(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 0;
}

std::string describe_wait_status(int wait_status) {
  if (WIFSIGNALED(wait_status)) return "terminated by SIG" + signal_name(WTERMSIG(wait_status));
  return "exit status " + std::to_string(exit_status_code(wait_status));
}

Process::Process(ProcessHost& host, std::shared_ptr<const ProgramConfig> config, std::string group,
                 std::string name, int group_priority)
    : host_(host),
      config_(std::move(config)),
      group_(std::move(group)),
      name_(std::move(name)),
      group_priority_(group_priority),
      timer_(host.clock().make_deadline()) {}

Process::~Process() { cancel_timer(); }

ProcessInfo Process::info() const {
  ProcessInfo info;
  info.group = group_;
  info.process = name_;
  info.state = state_;
  info.pid = pid_;
  info.start = start_time_;
  info.stop = stop_time_;
  info.now = host_.clock().unix_now();
  info.exitstatus = exitstatus_;
  info.spawnerr = spawnerr_;
  info.log_error = log_error_;
  info.backoff_ms = backoff_delay().count();
  info.health = state_ == State::Running ? health_ : Health::None;
  info.notify_status = pid_ != 0 ? notify_status_ : std::string();
  info.restarts = starts_ > 0 ? starts_ - 1 : 0;
  return info;
}

StateChange Process::change_from(State from) const {
  StateChange c{namespec(), group_, name_, from, state_, last_pid_, {}, false, backoff_count_};
  switch (state_) {
    case State::Backoff:
    case State::Fatal:
      c.reason = spawnerr_;
      break;
    case State::Exited:
      c.reason = last_exit_;
      c.expected = last_exit_expected_;
      break;
    case State::Stopped:
      if (from == State::Stopping) c.reason = last_exit_;
      break;
    case State::Stopping:
      c.reason = stop_reason_;
      break;
    case State::Starting:
    case State::Running:
      break;
  }
  return c;
}

// --- commands -----------------------------------------------------------------------------

void Process::start() {
  switch (state_) {
    case State::Stopped:
    case State::Exited:
    case State::Fatal:
    case State::Backoff:
      cancel_timer();
      backoff_count_ = 0;
      crash_streak_ = 0;
      settled_ = false;
      enter_starting();
      return;
    case State::Stopping:
      start_after_stop_ = true;
      settled_ = false;
      return;
    case State::Starting:
    case State::Running:
      return;
  }
}

void Process::stop() { stop(std::string()); }

void Process::stop(std::string reason) {
  start_after_stop_ = false;
  stop_reason_ = std::move(reason);
  settled_ = true;  // a process stopped on purpose is not waited for (readiness)
  switch (state_) {
    case State::Starting:
    case State::Running:
      enter_stopping();
      return;
    case State::Backoff:
      cancel_timer();
      enter_stopped();
      return;
    case State::Stopping:
    case State::Stopped:
    case State::Exited:
    case State::Fatal:
      return;
  }
}

Result<void> Process::signal(int signo) {
  if (pid_ == 0) return make_error(ErrorCode::Failed, "not running");
  if (const int err = host_.send_signal(pid_, signo); err != 0) {
    return make_error(ErrorCode::Failed, std::string("kill failed: ") + std::strerror(err));
  }
  return {};
}

// --- events -------------------------------------------------------------------------------

void Process::set_config(std::shared_ptr<const ProgramConfig> config, int group_priority) {
  assert(!needs_restart(*config_, *config));
  config_ = std::move(config);
  group_priority_ = group_priority;
}

void Process::on_spawn_failure(std::uint64_t spawn_id, std::string reason) {
  if (spawn_id != spawn_id_) return;
  exec_error_ = std::move(reason);
  // The exit may have come first: then the generic reason is already shown; be precise.
  if (state_ == State::Backoff || state_ == State::Fatal) spawnerr_ = exec_error_;
}

void Process::follow_main(pid_t pid) {
  assert(pid_ != 0 && pid > 0);
  spdlog::info("{}: MAINPID={}: supervising pid {} as the main process instead of pid {}", namespec(), pid, pid,
               pid_);
  pid_ = pid;
  last_pid_ = pid;
}

void Process::on_exit(std::optional<int> wait_status) {
  assert(pid_ != 0);
  const pid_t old_pid = pid_;
  pid_ = 0;
  stop_time_ = host_.clock().unix_now();
  exitstatus_ = wait_status ? exit_status_code(*wait_status) : -1;
  last_exit_ = wait_status ? describe_wait_status(*wait_status) : "exited, status unknown (not konnectd's child)";
  if (!watchdog_reason_.empty()) last_exit_ += " (" + watchdog_reason_ + ")";
  last_exit_expected_ = watchdog_reason_.empty() && wait_status && exit_expected(*wait_status);
  // SPEC.md: no descendant of an old instance outlives it. The group still holds the pgid
  // (== old_pid), so it cannot have been reused yet. Escaped descendants are the
  // OrphanSweeper's job.
  if (config_->killasgroup) host_.send_signal(-old_pid, SIGKILL);

  spdlog::info("{}: pid {} exited ({}) in state {}", namespec(), old_pid, last_exit_, to_string(state_));
  switch (state_) {
    case State::Starting:
      cancel_timer();
      if (ready_timed_out_) {
        enter_backoff(not_ready_);
      } else {
        enter_backoff(exec_error_.empty() ? kExitedTooQuickly : exec_error_);
      }
      return;
    case State::Running:
      cancel_timer();  // the watchdog's SIGKILL deadline, if any
      enter_exited(last_exit_expected_);
      return;
    case State::Stopping:
      cancel_timer();
      enter_stopped();
      if (start_after_stop_) {
        start_after_stop_ = false;
        start();
      }
      return;
    case State::Stopped:
    case State::Backoff:
    case State::Exited:
    case State::Fatal:
      assert(false && "exit without a main process");
      return;
  }
}

void Process::on_ready(std::uint64_t spawn_id) {
  if (state_ != State::Starting || !ready_timeout_ || spawn_id != spawn_id_ || ready_timed_out_) return;
  enter_running();
}

void Process::note_not_ready(std::uint64_t spawn_id, std::string why) {
  if (spawn_id == spawn_id_ && !ready_timed_out_) not_ready_ = std::move(why);
}

void Process::on_unhealthy(std::string reason) {
  if (state_ != State::Running) return;
  spdlog::warn("{}: {}; restarting it", namespec(), reason);
  stop_reason_ = std::move(reason);
  start_after_stop_ = true;
  enter_stopping();
}

void Process::on_watchdog_timeout(std::string reason) {
  if (state_ != State::Running || !watchdog_reason_.empty()) return;
  spdlog::warn("{}: {}; sending SIGABRT to pid {}", namespec(), reason, pid_);
  watchdog_reason_ = std::move(reason);
  host_.send_signal(pid_, SIGABRT);
  arm_timer(config_->stopwaitsecs);
}

void Process::on_timer() {
  switch (state_) {
    case State::Starting:
      if (ready_timeout_) {
        // Not ready in time: a failed start, as an exit before startsecs. The exit comes
        // through the reaper; the state stays STARTING until then.
        const std::string last = not_ready_;
        not_ready_ = "not ready after " + format_duration(*ready_timeout_) +
                     (last.empty() ? std::string() : " (last check: " + last + ")");
        ready_timed_out_ = true;
        spdlog::warn("{}: {}; killing pid {}", namespec(), not_ready_, pid_);
        host_.send_signal(config_->killasgroup ? -pid_ : pid_, SIGKILL);
        return;
      }
      enter_running();
      return;
    case State::Backoff:
      enter_starting();
      return;
    case State::Stopping:
      if (prelude_pending_) return send_stop_signal();  // the stop_prelude's wait is over
      // stopwaitsecs is over: SIGKILL the group (or the main process). The exit comes
      // through the reaper as usual.
      spdlog::warn("{}: still running {} after stop signal, sending SIGKILL", namespec(),
                   format_duration(config_->stopwaitsecs));
      host_.send_signal(config_->killasgroup ? -pid_ : pid_, SIGKILL);
      return;
    case State::Running:
      if (!watchdog_reason_.empty()) {
        spdlog::warn("{}: still running {} after SIGABRT, sending SIGKILL", namespec(),
                     format_duration(config_->stopwaitsecs));
        host_.send_signal(config_->killasgroup ? -pid_ : pid_, SIGKILL);
      }
      return;
    case State::Stopped:
    case State::Exited:
    case State::Fatal:
      return;  // a stale timer; nothing is armed in these states
  }
}

// --- transitions --------------------------------------------------------------------------

void Process::enter_starting() {
  auto spawned = host_.spawn(*this);
  if (!spawned) {
    // The command could not be started at all (missing binary, bad user...). This counts
    // as a failed start, exactly like an exit before startsecs.
    spdlog::warn("Failed to start '{}': {}", namespec(), spawned.error().message);
    last_pid_ = 0;  // no instance this time
    enter_backoff(spawned.error().message);
    return;
  }
  pid_ = spawned->pid;
  spawn_id_ = spawned->spawn_id;
  ++starts_;
  last_pid_ = pid_;
  last_exit_.clear();
  spawnerr_.clear();
  exec_error_.clear();
  not_ready_.clear();
  ready_timed_out_ = false;
  // As this spawn was made: a reload in place that adds or drops `ready` meanwhile does not
  // turn its startsecs into a readiness timeout, or the other way round.
  ready_timeout_ = config_->ready ? std::optional(config_->ready->timeout) : std::nullopt;
  notify_status_.clear();
  watchdog_reason_.clear();
  stop_reason_.clear();
  start_time_ = host_.clock().unix_now();
  started_at_ = host_.clock().now();
  set_state(State::Starting);
  if (state_ != State::Starting) return;  // the host's readiness check passed at once
  if (ready_timeout_) {
    arm_timer(*ready_timeout_);
    return;
  }
  if (config_->startsecs.count() == 0) {
    enter_running();
    return;
  }
  arm_timer(config_->startsecs);
}

void Process::enter_running() {
  cancel_timer();
  backoff_count_ = 0;
  settled_ = true;
  set_state(State::Running);
}

void Process::enter_backoff(std::string reason) {
  spawnerr_ = std::move(reason);
  ++backoff_count_;
  if (config_->startretries >= 0 && backoff_count_ > config_->startretries) {
    enter_fatal(spawnerr_);
    return;
  }
  // supervisord's schedule: the Nth retry waits N seconds; retrying for ever
  // (startretries = -1) backs off geometrically instead.
  delay_ = config_->startretries < 0 ? geometric_delay(backoff_count_) : Duration(std::chrono::seconds(backoff_count_));
  arm_timer(delay_);
  set_state(State::Backoff);
}

Duration Process::geometric_delay(int nth) const {
  // backoff_initial, twice that, ... up to backoff_max, for the nth delay (1-based).
  Duration delay = config_->backoff_initial;
  for (int i = 1; i < nth && delay < config_->backoff_max; ++i) delay *= 2;
  return std::min(delay, config_->backoff_max);
}

void Process::enter_throttled() {
  // A crash after RUNNING that follows another one (crash_streak_ >= 2): the first delay is
  // backoff_initial, then it doubles.
  delay_ = geometric_delay(crash_streak_ - 1);
  spawnerr_ = "Crashed " + std::to_string(crash_streak_) + " times in a row";
  arm_timer(delay_);
  set_state(State::Backoff);
}

void Process::enter_fatal(std::string reason) {
  spawnerr_ = std::move(reason);
  settled_ = true;
  spdlog::error("{}: gave up after {} failed start(s): {}", namespec(), backoff_count_, spawnerr_);
  set_state(State::Fatal);
}

void Process::enter_stopping() {
  cancel_timer();
  if (config_->stop_prelude) {
    // The prelude first (uWSGI: TSTP, pause), the stop signal once its wait is over.
    host_.send_signal(config_->stopasgroup ? -pid_ : pid_, config_->stop_prelude->signal);
    prelude_pending_ = true;
    arm_timer(config_->stop_prelude->wait);
  } else {
    send_stop_signal();
  }
  set_state(State::Stopping);
}

void Process::send_stop_signal() {
  prelude_pending_ = false;
  host_.send_signal(config_->stopasgroup ? -pid_ : pid_, config_->stopsignal);
  arm_timer(config_->stopwaitsecs);
}

void Process::enter_stopped() {
  prelude_pending_ = false;
  set_state(State::Stopped);
}

void Process::enter_exited(bool expected) {
  set_state(State::Exited);
  const AutoRestart mode = config_->autorestart;
  const bool restart = mode == AutoRestart::Always || (mode == AutoRestart::Unexpected && !expected);
  if (!restart) return;
  const auto uptime = host_.clock().now() - started_at_;
  if (uptime >= config_->backoff_reset) crash_streak_ = 0;
  ++crash_streak_;
  if (crash_streak_ == 1) {
    enter_starting();  // SPEC.md: the first crash after RUNNING restarts at once
    return;
  }
  enter_throttled();
}

void Process::set_state(State next) {
  const State from = state_;
  state_ = next;
  if (from != next) {
    spdlog::info("{}: {} -> {}{}{}", namespec(), to_string(from), to_string(next),
                 pid_ ? fmt::format(" (pid {})", pid_) : std::string(),
                 next == State::Stopping && !stop_reason_.empty() ? ": " + stop_reason_ : std::string());
  }
  host_.on_state_change(*this, from);
}

void Process::arm_timer(Duration after) {
  timer_at_ = host_.clock().now() + after;
  timer_->arm(after, [this] {
    timer_at_.reset();
    on_timer();
  });
}

void Process::cancel_timer() {
  timer_at_.reset();
  timer_->cancel();
}

bool Process::exit_expected(int wait_status) const {
  if (!WIFEXITED(wait_status)) return false;
  const auto& codes = config_->exitcodes;
  return std::find(codes.begin(), codes.end(), WEXITSTATUS(wait_status)) != codes.end();
}

}  // namespace konnect
