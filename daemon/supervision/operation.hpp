#pragma once
// A start, stop or restart of a set of processes that a client waits on (SPEC.md: start/stop/
// restart wait until the action is done or has failed). Nothing polls: the Supervisor calls
// check() after each batch of state changes, and the operation advances when it can.
//
// Stop goes by priority levels, highest number first: every process of a level is stopped
// together and the next level begins once all of them are down. Start spawns in priority
// order at once. Restart is stop, then start. The operation ends by calling its completion
// with one ProcessResult per process (common/protocol/results.hpp writes them for the wire).

#include "common/error.hpp"
#include "common/process_state.hpp"
#include "common/protocol/results.hpp"

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

  // processes must be in priority order (lowest first) and outlive the operation.
  Operation(Kind kind, std::vector<Process*> processes, Completion done);

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

  bool is_complete() const { return completed_; }
  // It is yet to start the process: a restart still stopping (a start starts at once).
  bool will_start(const Process* process) const {
    return !completed_ && kind_ == Kind::Restart && !starting_ && involves(process);
  }
  bool involves(const Process* process) const {
    return std::find(processes_.begin(), processes_.end(), process) != processes_.end();
  }

 private:
  struct Outcome {
    bool done = false;
    bool ok = false;
    std::string error;  // when !ok
  };

  void begin_stop_level();
  void begin_start();
  bool check_stopping();
  bool check_starting();
  bool finish();

  Kind kind_;
  std::vector<Process*> processes_;
  Completion done_;
  bool starting_ = false;      // in the start phase (Start, or Restart after its stop)
  std::vector<std::vector<Process*>> levels_;  // stop levels, highest priority number first
  std::size_t level_ = 0;
  std::map<const Process*, Outcome> outcomes_;
  ProcessResults dropped_;  // results of processes that are gone
  bool completed_ = false;
  std::optional<ErrorCode> abort_code_;
};

}  // namespace konnect
