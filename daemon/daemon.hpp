#pragma once
// konnectd as a whole: owns by value the one io_context (one thread, no locks), the
// signal_set, the clock, the event bus, the Reaper, the Supervisor, the RequestHandler and
// the ControlServer.
// run() returns when shutdown is complete: everything is stopped by cancellation, never by
// io_context::stop().

#include "common/config/config.hpp"
#include "common/error.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/system/notifier.hpp"
#include "daemon/spawn/reaper.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/supervision/supervisor.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

namespace konnect {

class Daemon {
 public:
  // allow_insecure_config: reload reads files that others than root may write (--allow-insecure-config).
  Daemon(Config config, bool allow_insecure_config = false);
  ~Daemon();

  // Binds the control socket and writes the pid file. Errors here end konnectd with exit 1.
  Result<void> setup();
  // Starts the autostart programs and runs the loop until shutdown is complete.
  int run();

 private:
  void do_wait_signal();
  // WATCHDOG=1 at half the interval systemd asked for (WatchdogSec=), sent from the loop.
  void do_watchdog();
  void on_signal(int signo);
  void begin_shutdown(const char* why);
  void reopen_logs(std::function<void(const std::vector<Error>&)> done);
  void follow_daemon_log(std::function<bool(const std::string&)> on_line);
  void on_daemon_log_line(const std::string& line);
  void on_reaped();
  // reload, update, add, remove, SIGHUP: the plan's config becomes the running one.
  void apply_plan(ReloadPlan plan, std::function<void(Result<Json>)> done);
  void reload_on_sighup();
  Result<Config> read_config() const;
  void all_stopped();
  void finish_shutdown();
  void write_pid_file();

  Config config_;
  bool allow_insecure_config_;
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_;
  AsioClock clock_{io_.get_executor()};
  EventBus events_{clock_};  // before everything that publishes or subscribes
  Supervisor supervisor_;
  Reaper reaper_;
  RequestHandler handler_;
  ControlServer server_;
  Notifier notifier_;
  boost::asio::steady_timer watchdog_timer_{io_};
  bool pid_file_written_ = false;
  std::vector<std::function<bool(const std::string&)>> log_followers_;  // maintail -f
  bool sighup_pending_ = false;  // a SIGHUP came during a reload: reload again after it
  bool draining_ = false;  // every process is stopped; waiting for killed orphans to go
  bool finished_ = false;  // shutdown complete: handlers must not re-arm
};

}  // namespace konnect
