#pragma once
// What the control plane may ask of konnectd as a whole, beyond the Supervisor: the narrow
// interface the RequestHandler and ConfigCommands see. Daemon implements it.

#include "common/config/config.hpp"
#include "common/config/reload_plan.hpp"
#include "common/error.hpp"
#include "common/protocol/protocol.hpp"
#include "common/protocol/results.hpp"
#include "daemon/metrics/metrics_text.hpp"

#include <functional>
#include <string>
#include <vector>

namespace konnect {

class Responder;

class DaemonControl {
 public:
  virtual ~DaemonControl() = default;

  // `shutdown`: stop every process, then exit (the answer goes out first).
  virtual void request_shutdown() = 0;
  // `logreopen`, SIGUSR2: every program log and the daemon log; done gets the failures.
  virtual void reopen_logs(std::function<void(const std::vector<Error>&)> done) = 0;
  // `maintail -f`: on_line gets every daemon log line until it returns false.
  virtual void follow_daemon_log(std::function<bool(const std::string&)> on_line) = 0;
  // The config as it is on disk now, and the one running (which apply() replaces).
  virtual Result<Config> read_config() const = 0;
  virtual const Config& running_config() const = 0;
  // reload, update, add, remove: applies a plan; done gets the start results of the
  // programs it made, or an error.
  virtual void apply(ReloadPlan plan, std::function<void(Result<ProcessResults>)> done) = 0;
  // `reexec`: konnectd replaces its image with the binary it was started from, keeping
  // everything (SPEC.md "Upgrade in place"). A refusal is answered here; on success the new
  // image answers the client, on the same connection.
  virtual void reexec(const Json& id, const Responder& reply) = 0;
  // `stats`: every process's CPU, memory and log bytes, read off the loop
  // (daemon/metrics/metrics_collector.hpp); done runs on the loop.
  virtual void sample_metrics(std::function<void(std::vector<ProcessMetrics>)> done) = 0;
};

}  // namespace konnect
