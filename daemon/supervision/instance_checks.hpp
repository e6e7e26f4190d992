#pragma once
// The readiness and health checks of every process instance (SPEC.md "Readiness, health,
// order"), driven by its state changes: while STARTING with `ready`, a probe loop (http,
// tcp, exec) or a watch of its output lines (log) until the first success, reported with
// Process::on_ready; while RUNNING with `health`, a probe every interval, `failures` in a
// row reported with Process::on_unhealthy. Nothing is armed for a process without checks,
// and a probe loop has one deadline at a time (daemon/health/check_loop.hpp).
// Owned by the Supervisor; forget() a process before it is destroyed.

#include "common/config/config.hpp"
#include "common/process_state.hpp"
#include "daemon/health/check_loop.hpp"
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
    // The output streams of the process (stdout, stderr; one when redirected).
    std::function<std::vector<OutputPump::StreamId>(const Process&)> streams;
    // How an exec probe of the process is spawned: as the program, with this argv.
    std::function<Result<SpawnSpec>(const Process&, const std::vector<std::string>&)> plan;
  };

  explicit InstanceChecks(Host host) : host_(std::move(host)) {}

  void on_state_change(Process& process, State from);
  // A reload changed the process's settings in place: its health checks start over with them.
  void reconfigure(Process& process);
  void forget(const Process& process);

 private:
  struct LogWatch {
    OutputPump::StreamId stream;
    std::uint64_t token;
  };
  struct Entry {
    std::unique_ptr<CheckLoop> ready;
    std::vector<LogWatch> log_watches;
    std::unique_ptr<CheckLoop> health;
    int failures = 0;  // health checks failed in a row
  };

  void arm_ready(Process& process);
  void disarm_ready(Entry& entry);
  void arm_health(Process& process);
  void on_health(Process& process, Entry& entry, Result<void> result);
  std::unique_ptr<Probe> make_probe(const Process& process, const ProbeTarget& target, const char* what);

  Host host_;
  std::unordered_map<const Process*, Entry> entries_;
  std::uint64_t next_token_ = 1;
};

}  // namespace konnect
