#pragma once
// The readiness and health checks of every process instance (SPEC.md "Readiness, health,
// order"), driven by its state changes: while STARTING with `ready`, a probe loop (http,
// tcp, exec) or a watch of its output lines (log) until the first success, reported with
// Process::on_ready; while RUNNING with `health`, a probe every interval, `failures` in a
// row reported with Process::on_unhealthy. A program with ready.notify or watchdog has its
// own $NOTIFY_SOCKET (daemon/health/notify_socket.hpp), made at its first spawn and kept
// until it is forgotten: READY=1, STATUS=, WATCHDOG=1, STOPPING=1 and MAINPID= are taken
// from the instance's own processes only; the watchdog is a deadline while RUNNING, re-armed by each
// WATCHDOG=1, reported with Process::on_watchdog_timeout. Nothing is armed for a process without checks,
// and a probe loop has one deadline at a time (daemon/health/check_loop.hpp).
// Owned by the Supervisor; forget() a process before it is destroyed.

#include "common/config/config.hpp"
#include "common/process_state.hpp"
#include "daemon/health/check_loop.hpp"
#include "daemon/health/notify_socket.hpp"
#include "daemon/health/probe_children.hpp"
#include "daemon/output/output_pump.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace konnect {

class Process;

class InstanceChecks {
 public:
  struct Host {
    boost::asio::any_io_executor executor;
    Clock& clock;
    OutputPump& pump;
    ProbeChildren& children;
    // The pipes the instance writes into (stdout, stderr; one when redirected), each with its
    // stream: a rolling restart's new instance has pipes of its own.
    std::function<std::vector<std::pair<OutputPump::StreamId, OutputPump::SourceId>>(const Process&)> sources;
    // How an exec probe of the process is spawned: as the program, with this argv.
    std::function<Result<SpawnSpec>(const Process&, const std::vector<std::string>&)> plan;
    // Where the programs' notify sockets go (made when the first is needed).
    std::filesystem::path notify_dir;
    // MAINPID=pid from one of the instance's processes: the Supervisor checks and follows it.
    std::function<void(Process&, pid_t)> follow_main;
  };

  explicit InstanceChecks(Host host) : host_(std::move(host)) {}

  void on_state_change(Process& process, State from);
  // Just before the process's next main process is spawned as `spawn_id`: a `log` readiness
  // watch goes to the pump now, before the child exists, so that a ready line the program
  // prints at once cannot be moved to the file before the watch is there.
  void before_spawn(Process& process, std::uint64_t spawn_id);
  // A reload changed the process's settings in place: its health checks start over with them.
  void reconfigure(Process& process);
  void forget(const Process& process);
  // Shutdown, once every process is down: every check, watchdog and notify socket goes.
  void close();
  // For a spawn of a program that uses notify: NOTIFY_SOCKET (and WATCHDOG_USEC) for its
  // environment, its socket made first if need be, owned by `owner`; nothing otherwise.
  // The socket is the instance's own: notify/NAMESPEC for the copy's first instance,
  // notify/NAMESPEC.N for instance N (a rolling restart runs two at once).
  Result<std::vector<std::string>> notify_env(Process& process, unsigned instance,
                                              std::optional<NotifySocket::Owner> owner);
  // konnectctl reexec: the process's notify socket (fd and path; -1 when it has none), and
  // in the next image the same taken back. rearm() arms what the process's state calls for,
  // as entering it would (ready while STARTING, health and watchdog while RUNNING).
  std::pair<int, std::string> notify_socket(const Process& process) const;
  void adopt_notify(Process& process, int fd, std::filesystem::path path);
  void rearm(Process& process);
  // Handles what the process's programs already sent to its notify socket (before its main
  // process's exit is handled: a MAINPID= sent just before it exited).
  void drain_notify(const Process& process);

 private:
  struct LogWatch {
    OutputPump::StreamId stream;
    std::uint64_t token;
  };
  struct Entry {
    std::unique_ptr<CheckLoop> ready;
    std::vector<LogWatch> log_watches;
    std::uint64_t log_spawn_id = 0;  // the instance spawn the log watches are for
    std::unique_ptr<CheckLoop> health;
    int failures = 0;  // health checks failed in a row
    std::unique_ptr<NotifySocket> notify;
    std::unique_ptr<Deadline> watchdog;  // armed while RUNNING with `watchdog`
  };

  void arm_ready(Process& process);
  void arm_log(Process& process, Entry& entry, std::uint64_t spawn_id);
  void disarm_ready(Entry& entry);
  void arm_health(Process& process);
  void on_health(Process& process, Entry& entry, Result<void> result);
  NotifySocket::OnMessage notify_handler(Process& process, Entry& entry);
  void on_notify(Process& process, Entry& entry, pid_t sender, const NotifyMessage& message);
  void arm_watchdog(Process& process, Entry& entry);
  std::unique_ptr<Probe> make_probe(const Process& process, const ProbeTarget& target, const char* what);

  Host host_;
  std::unordered_map<const Process*, Entry> entries_;
  std::uint64_t next_token_ = 1;
};

}  // namespace konnect
