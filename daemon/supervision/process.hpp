#pragma once
// One supervised process instance (a program with numprocs = 3 has three) and its state
// machine: supervisord's seven states (SPEC.md "Process states").
//
// Owns: its state, pid, timer and counters. Expects: the caller delivers every exit of its
// pid through on_exit() (the one reaper), and keeps the ProcessHost alive longer than this.
// All methods run on the event loop thread.
//
// State x event (one timer, meaning the current state's deadline):
//   state     | start()          | stop()            | on_exit()               | timer
//   STOPPED   | -> STARTING      | -                 | impossible              | -
//   STARTING  | -                | -> STOPPING       | -> BACKOFF / FATAL      | startsecs: -> RUNNING
//             |                  |                   |                         | (ready: timeout: SIGKILL)
//   RUNNING   | -                | -> STOPPING       | -> EXITED (+ restart)   | -
//   BACKOFF   | -> STARTING now  | -> STOPPED        | impossible              | delay: -> STARTING
//   STOPPING  | start after stop | -                 | -> STOPPED              | stopwaitsecs: SIGKILL
//             |                  |                   |                         | (stop_prelude: its wait,
//             |                  |                   |                         |  then the stopsignal)
//   EXITED    | -> STARTING      | -                 | impossible              | -
//   FATAL     | -> STARTING      | -                 | impossible              | -

#include "common/config/config.hpp"
#include "common/handoff/handoff_state.hpp"
#include "common/process_info.hpp"
#include "common/process_state.hpp"
#include "daemon/events/event.hpp"
#include "daemon/supervision/process_host.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace konnect {

// With `ready`, STARTING ends when the host reports the check passed (on_ready) instead of
// after startsecs; not ready by ready.timeout kills the instance, and its exit is a failed
// start. on_unhealthy (health checks failing) restarts a RUNNING instance through STOPPING.
//
// Crash throttling after RUNNING (SPEC.md): the first crash restarts at once, each further
// crash of an instance that ran less than backoff_reset waits backoff_initial, 2x, 4x... up
// to backoff_max (a longer run resets the count). ProgramConfig has the defaults.

class Process {
 public:
  // group_priority: the [group]'s priority, or the program's own when it is its own group.
  Process(ProcessHost& host, std::shared_ptr<const ProgramConfig> config, std::string group, std::string name,
          int group_priority);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Commands. start() on BACKOFF retries at once with the retry count reset; on STOPPING it
  // starts again once the stop is done. stop() on a down process does nothing.
  void start();
  void stop();
  // stop() with the reason the STOPPING event carries (a rolling restart replaced it).
  void stop(std::string reason);
  // Sends a signal to the main process; fails when there is none.
  Result<void> signal(int signo);

  // The reaper's event: the main process exited with this wait(2) status; none when it was
  // not konnectd's child (an adopted MAINPID= whose parent took the status): then the exit
  // is unexpected, as a crash, with exitstatus -1.
  void on_exit(std::optional<int> wait_status);
  // MAINPID=: pid, one of the instance's processes, is its main process from now on (the
  // ProcessTable follows it too); no state changes.
  void follow_main(pid_t pid);
  // The readiness check of spawn `spawn_id` passed: STARTING -> RUNNING. Ignored for an
  // older spawn or in any other state.
  void on_ready(std::uint64_t spawn_id);
  // The last failed readiness probe of spawn `spawn_id`, for the message at the timeout.
  void note_not_ready(std::uint64_t spawn_id, std::string why);
  // Health checks failed `failures` times in a row: a RUNNING instance is stopped (stop
  // signal, stopwaitsecs) and started again; the reason goes with the STOPPING event.
  void on_unhealthy(std::string reason);
  // What the health checks say now, for status ("none" when nothing is checked).
  void set_health(Health health) { health_ = health; }
  // STATUS= from the program (sd_notify), shown in status until its next spawn.
  void set_notify_status(std::string text) { notify_status_ = std::move(text); }
  // No WATCHDOG=1 in time: the RUNNING instance gets SIGABRT (then, after stopwaitsecs,
  // SIGKILL of its group) and its exit is a crash, with the reason added to it.
  void on_watchdog_timeout(std::string reason);

  State state() const { return state_; }
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  const std::string& group() const { return group_; }
  int group_priority() const { return group_priority_; }
  std::uint64_t spawn_id() const { return spawn_id_; }
  std::string namespec() const { return group_ == name_ ? name_ : group_ + ":" + name_; }
  const ProgramConfig& config() const { return *config_; }
  std::shared_ptr<const ProgramConfig> config_ptr() const { return config_; }
  // True once the process has reached RUNNING or FATAL at least once since its last start()
  // command (systemd readiness).
  bool has_settled() const { return settled_; }
  // The last exit of its main process ("exit status 1", "terminated by SIGKILL") and whether
  // it was expected (one of its exitcodes); meaningful once it has exited.
  const std::string& last_exit() const { return last_exit_; }
  bool last_exit_expected() const { return last_exit_expected_; }
  // Not started on purpose (a dependency failed): readiness does not wait for it.
  void settle_unstarted() {
    if (is_down(state_)) settled_ = true;
  }
  // The current BACKOFF delay, zero in other states.
  Duration backoff_delay() const { return state_ == State::Backoff ? delay_ : Duration{0}; }
  ProcessInfo info() const;
  // A rolling restart's new instance goes on counting the starts of the one it replaces.
  void count_starts_from(const Process& previous) { starts_ = previous.starts_; }
  // The event for the transition that just happened, from `from` to state() (for the
  // ProcessHost's on_state_change): pid, reason, expected and tries as they are now.
  StateChange change_from(State from) const;
  // Why the child of spawn `spawn_id` could not exec (from the spawner's report pipe); it
  // replaces "Exited too quickly" as the spawn error. Ignored for an older spawn.
  void on_spawn_failure(std::uint64_t spawn_id, std::string reason);
  // A log write failure of this process's output (empty when writing works).
  void set_log_error(std::string error) { log_error_ = std::move(error); }
  // Reload in place: settings that need no new process (config::needs_restart is false) and
  // the group's priority. They apply from the next event on (a running stopwaitsecs or
  // startsecs deadline keeps the value it was armed with).
  void set_config(std::shared_ptr<const ProgramConfig> config, int group_priority);
  // Any settings, for an instance that is down or about to be stopped and started again.
  void take_config(std::shared_ptr<const ProgramConfig> config, int group_priority) {
    config_ = std::move(config);
    group_priority_ = group_priority;
  }
  // The same settings from another place (a newer Config): only the pointer changes.
  void rebind(const std::shared_ptr<const ProgramConfig>& config) {
    if (*config == *config_) config_ = config;
  }
  // Expires when this process is destroyed (reload removes processes): for handlers of
  // other owners that refer to it.
  std::weak_ptr<int> lifetime() const { return alive_; }

  // konnectctl reexec (process_handoff.cpp): everything this state machine holds, for the
  // next image, and the same taken back there. The pid's pidfd, process group and instance
  // number are the ProcessTable's: the Supervisor adds and takes them. restore() re-arms the
  // state's deadline at the absolute time it had and tells nobody: nothing changed.
  handoff::ProcessState snapshot() const;
  Result<void> restore(const handoff::ProcessState& state);

 private:
  void enter_starting();
  void enter_running();
  void enter_backoff(std::string reason);
  void enter_throttled();
  void enter_fatal(std::string reason);
  void enter_stopping();
  void send_stop_signal();  // stopsignal, and stopwaitsecs armed
  void enter_stopped();
  void enter_exited(bool expected);

  void set_state(State next);
  void arm_timer(Duration after);
  void cancel_timer();
  void on_timer();
  bool exit_expected(int wait_status) const;
  Duration geometric_delay(int nth) const;

  ProcessHost& host_;
  std::shared_ptr<const ProgramConfig> config_;
  std::string group_;
  std::string name_;
  int group_priority_;
  std::unique_ptr<Deadline> timer_;  // the current state's deadline, from host_.clock()
  std::optional<Clock::TimePoint> timer_at_;  // when it fires, while armed
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // expires with this, for queued handlers

  State state_ = State::Stopped;
  pid_t pid_ = 0;
  pid_t last_pid_ = 0;         // the current instance's, or the last one's once it exited
  std::string last_exit_;      // "exit status 3", "terminated by SIGKILL"
  bool last_exit_expected_ = false;
  std::uint64_t spawn_id_ = 0;
  int backoff_count_ = 0;     // failed starts since the last RUNNING (startretries)
  int crash_streak_ = 0;      // crashes after RUNNING in a row (throttling)
  Duration delay_{0};         // the armed BACKOFF delay
  bool start_after_stop_ = false;
  bool prelude_pending_ = false;  // STOPPING: the stop_prelude went, the stopsignal is due at the timer
  bool settled_ = false;
  Clock::TimePoint started_at_{};
  std::int64_t start_time_ = 0;  // unix seconds
  std::uint64_t starts_ = 0;      // instances spawned since the Process was made
  std::int64_t stop_time_ = 0;
  int exitstatus_ = 0;
  std::string spawnerr_;
  std::string exec_error_;  // from the report pipe of the current spawn
  std::string log_error_;
  std::string not_ready_;    // the last failed readiness probe of the current spawn
  bool ready_timed_out_ = false;  // killed at ready.timeout: its exit is a failed start
  std::optional<Duration> ready_timeout_;  // this spawn waits for readiness, this long
  std::string stop_reason_;  // why konnectd itself stops it (health), for the STOPPING event
  Health health_ = Health::None;
  std::string notify_status_;
  std::string watchdog_reason_;  // set once the watchdog killed the current instance
};

// 128+N for a signal, else the exit code (the shell's convention).
int exit_status_code(int wait_status);
// "exit status 3", "terminated by SIGKILL".
std::string describe_wait_status(int wait_status);

}  // namespace konnect
