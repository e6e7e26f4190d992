#pragma once
// A start, stop or restart of a set of processes that a client waits on (SPEC.md: start/stop/
// restart wait until the action is done or has failed). Nothing polls: the Supervisor calls
// check() after each batch of state changes, and the operation advances when it can.
//
// Stop goes in waves: a process may be stopped once every process of the set that depends on
// it is down (depends_on); of those, the highest priority level goes first, every process of
// it together, and the next wave begins once all of them are down. Without dependencies these
// are supervisord's priority levels. Start goes through a StartGate: each process is started
// once its dependencies are met (starting them first), in priority order, without waiting
// for anything else. Restart is stop, then start. The operation ends by calling its
// completion with one ProcessResult per process (common/protocol/results.hpp writes them for
// the wire).

#include "common/error.hpp"
#include "common/process_state.hpp"
#include "common/protocol/results.hpp"
#include "daemon/supervision/start_gate.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

class Process;

class Operation {
 public:
  enum class Kind { Start, Stop, Restart };
  using Completion = std::function<void(ProcessResults results)>;

  // processes must be in priority order (lowest first) and outlive the operation, as must
  // the dependencies `lookup` names (none when it is empty).
  Operation(Kind kind, std::vector<Process*> processes, Completion done, DependencyLookup lookup = {});

  // Issues the first commands. Returns true if the operation is already complete.
  bool begin();
  // Looks at the states again; advances or completes. Returns true once complete.
  bool check();

  // Completes now: every process not yet done fails with this error (daemon shutdown, or
  // a reload that removes one of its processes).
  void abort(const Error& error);

  // The process is going away (a reload removes it): its result is fixed now, as failed
  // with `error`, and the operation carries on with the others. Call check() afterwards.
  void drop(const Process* process, const Error& error);
  // A rolling restart ended and destroys `gone`: `by`, the copy's instance now, takes its
  // place (or, when the operation has `by` already, `gone` is just left out).
  void replace(const Process* gone, Process* by);

  bool is_complete() const { return completed_; }
  // It is yet to start the process: a restart still stopping, or a start waiting for the
  // process's dependencies.
  bool will_start(const Process* process) const;
  bool involves(const Process* process) const {
    return std::find(processes_.begin(), processes_.end(), process) != processes_.end();
  }

 private:
  struct Outcome {
    bool done = false;
    bool ok = false;
    std::string error;  // when !ok
    bool not_started = false;  // a dependency failed: FAILED, not SPAWN_ERROR
  };

  bool begin_stop_wave();
  void begin_start();
  bool check_stopping();
  bool check_starting();
  bool finish();

  Kind kind_;
  std::vector<Process*> processes_;
  Completion done_;
  bool starting_ = false;      // in the start phase (Start, or Restart after its stop)
  DependencyLookup lookup_;
  std::map<const Process*, std::vector<Process*>> dependents_;  // within processes_, for stop
  std::vector<Process*> wave_;  // being stopped now
  std::optional<StartGate> gate_;  // the start phase
  std::map<const Process*, Outcome> outcomes_;
  ProcessResults dropped_;  // results of processes that are gone
  bool completed_ = false;
  std::optional<ErrorCode> abort_code_;
};

}  // namespace konnect
