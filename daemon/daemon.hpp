#pragma once
// konnectd as a whole: owns by value the one io_context (one thread, no locks), the
// signal_set, the clock, the event bus, the Reaper, the Supervisor, the RequestHandler and
// the ControlServer.
// run() returns when shutdown is complete: everything is stopped by cancellation, never by
// io_context::stop().
//
// Phases, one enter_* each (a reload runs inside Running; Stopping cuts it short):
//   Running  -> Stopping  SIGTERM, SIGINT, `shutdown`: every process is stopped
//   Stopping -> Draining  every process is down: their last output goes to the files, and
//                         the orphans killed meanwhile are reaped
//   Draining -> Done      nothing is left: what keeps the loop alive is cancelled (as PID 1,
//                         whatever else is left in the container is killed and reaped first)
//
// run() returns konnectd's exit code: 0, or that of a program with shutdown_on_exit whose
// exit for good began the shutdown (FATAL: 1; killed by signal N: 128+N).

#include "common/config/config.hpp"
#include "common/error.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/control/daemon_control.hpp"
#include "daemon/system/notifier.hpp"
#include "daemon/spawn/reaper.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/events/listener_pools.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/http/http_service.hpp"
#include "daemon/metrics/metrics_collector.hpp"
#include "daemon/supervision/supervisor.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

namespace konnect {

class Daemon final : private DaemonControl {
 public:
  // allow_insecure_config: reload reads files that others than root may write (--allow-insecure-config).
  // binary: the path konnectd was started from, which `reexec` execs (an upgraded package's).
  Daemon(Config config, bool allow_insecure_config = false, std::filesystem::path binary = {});
  ~Daemon();

  // Binds the control socket and writes the pid file. Errors here end konnectd with exit 1.
  Result<void> setup();
  // Starts the autostart programs and runs the loop until shutdown is complete.
  int run();

  // The signals konnectd handles (SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGCHLD), held pending or
  // let through. main() holds them before any thread starts, so every other thread keeps
  // them held and only the loop's thread takes them once run() lets them through; a reexec
  // holds them again across the exec (pending signals survive it: none is lost, none gets
  // its default action before the next image has its handlers).
  static void hold_signals(bool held);

  // konnectctl reexec, the new image (daemon_handoff.cpp): instead of setup(), takes over what
  // the previous image handed over; an error means nothing was taken (the caller gives the
  // state back to the previous image). Then run_restored() answers the client that asked
  // (with reexec_error when the previous image came back instead) and runs the loop.
  Result<void> restore(const handoff::State& state);
  int run_restored(const handoff::State& state, const std::string& reexec_error);

 private:
  void do_wait_signal();
  // WATCHDOG=1 at half the interval systemd asked for (WatchdogSec=), sent from the loop.
  void do_watchdog();
  void on_signal(int signo);
  void begin_shutdown(const char* why);
  void on_daemon_log_line(const std::string& line);
  void on_reaped();
  // Draining: done once no descendant is left (as PID 1: no process at all).
  void finish_draining();
  // shutdown_on_exit: a program that went EXITED or FATAL; once the transitions are over,
  // if it is still there (no restart due), everything stops and konnectd exits with its code.
  void on_state_change(const Event& event);
  void check_exit_for_good(const std::string& namespec);
  void reload_on_sighup();
  void write_pid_file();
  // What setup() and restore() both need of the host: SIGPIPE ignored, the fd limit raised,
  // the child subreaper, and the programs' cgroup tree (why_not: why there is none).
  Result<CgroupTree> prepare_host(std::string& why_not);
  // [konnectd] http and supervisor_socket, and HTTP on the control socket (setup() and
  // restore(): these listeners are bound anew by each image).
  // A reexec's next image takes the listeners the previous one handed over (state).
  Result<void> serve_http(const AccessPolicy& policy, const handoff::State* state = nullptr);
  // What run() and run_restored() both start: signals, the reaper, systemd's watchdog.
  void begin_running();
  // konnectctl reexec, the old image: checks the binary, hands everything over, execs it.
  void reexec(const Json& id, const Responder& reply) override;
  void hand_over(const Json& id, const Responder& reply, Clock::TimePoint requested_at,
                 std::function<void(const std::string&)> call_off);
  // Everything but the pump's streams and the requester, as the next image would take it.
  handoff::State handover_state();
  void answer_requester(const handoff::State& state, const std::string& reexec_error);
  // A reexec called off after the pause: every listener accepts again.
  void resume_serving();

  enum class Phase { Running, Stopping, Draining, Done };
  void enter_stopping(const char* why);
  void enter_draining();
  void enter_done();

  // DaemonControl, for the RequestHandler. apply: reload, update, add, remove, SIGHUP: the
  // plan's config becomes the running one.
  void request_shutdown() override { begin_shutdown("shutdown requested by konnectctl"); }
  void reopen_logs(std::function<void(const std::vector<Error>&)> done) override;
  void follow_daemon_log(std::function<bool(const std::string&)> on_line) override;
  Result<Config> read_config() const override;
  const Config& running_config() const override { return *supervisor_.config(); }
  void apply(ReloadPlan plan, std::function<void(Result<ProcessResults>)> done) override;
  void sample_metrics(std::function<void(std::vector<ProcessMetrics>)> done) override { metrics_.sample(std::move(done)); }

  // The running config: the Supervisor's (its programs point into it).
  const Config& config() const { return *supervisor_.config(); }

  bool allow_insecure_config_;
  std::filesystem::path binary_;
  bool reexec_pending_ = false;
  boost::asio::io_context io_{1};
  boost::asio::signal_set signals_;
  AsioClock clock_{io_.get_executor()};
  EventBus events_{clock_};  // before everything that publishes or subscribes
  Supervisor supervisor_;
  ListenerPools listeners_{io_.get_executor(), events_, clock_};  // [eventlistener.NAME]s
  Reaper reaper_;
  RequestHandler handler_;
  MetricsCollector metrics_{io_.get_executor(), supervisor_};  // /metrics, off the loop
  HttpService http_service_;
  ControlServer server_;
  std::unique_ptr<ControlServer> supervisor_socket_;  // [konnectd] supervisor_socket
  std::unique_ptr<HttpServer> http_server_;           // [konnectd] http
  Notifier notifier_;
  boost::asio::steady_timer watchdog_timer_{io_};
  bool pid_file_written_ = false;
  std::vector<std::function<bool(const std::string&)>> log_followers_;  // maintail -f
  bool sighup_pending_ = false;  // a SIGHUP came during a reload: reload again after it
  Phase phase_ = Phase::Running;  // Done: handlers must not re-arm
  const bool pid1_;               // konnectd is PID 1 of its pid namespace (a container's init)
  bool leftovers_killed_ = false;  // PID 1, draining: kill(-1, SIGKILL) was sent
  int exit_code_ = 0;
  EventBus::Subscription exit_watch_;  // shutdown_on_exit
};

}  // namespace konnect
