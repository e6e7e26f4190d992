#pragma once
// A rolling restart (SPEC.md "Held sockets and rolling restarts"): for each process in turn,
// once its dependencies meet their conditions (depends_on, as for a start: a migration that
// the same command runs again must have completed), a new instance of its copy is started
// beside the running one; once the new one is RUNNING
// (ready) the old one is stopped with its stopsignal and goes. A new instance that fails on
// the way (BACKOFF, FATAL, an exit, a stop) is stopped and goes instead, the old one is the
// copy's current instance again and keeps serving (as it does when a dependency fails: no new
// instance is made), the process's result is that failure, and
// the processes not rolled yet are left alone (their results say so). One process at a time,
// so numprocs copies roll one by one and never more than one copy is doubled.
//
// Like an Operation, nothing polls: the Supervisor calls check() after each batch of state
// changes. The Supervisor makes and ends the instances (begin_roll/end_roll); the Roll only
// decides when. Expects: the processes are RUNNING current instances of rolling programs, in
// priority order, and outlive the Roll or are drop()ped first.

#include "common/error.hpp"
#include "common/protocol/results.hpp"
#include "daemon/supervision/start_gate.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

class Process;

class Roll {
 public:
  using Completion = std::function<void(ProcessResults results)>;
  struct Host {
    // A new instance of old's copy, made the copy's current one (old is its previous), not
    // started yet.
    std::function<Process&(Process& old)> begin;
    // The roll of this copy is over, both instances settled: keep the new one (the old one,
    // down, goes) or the old one (the new one, down, goes).
    std::function<void(Process& old, Process& fresh, bool keep_new)> end;
    // The dependencies of a process (its program's depends_on as configured now) and which
    // processes another command will start again (waited for, not judged).
    DependencyLookup dependencies;
  };

  Roll(Host host, std::vector<Process*> processes, Completion done);

  // Starts the first new instance. Returns true if the roll is already complete. Every new
  // instance is started from begin() or check(), never from the other calls.
  bool begin();
  // Looks at the states again; advances or completes. Returns true once complete.
  bool check();
  // A later command (stop, restart) or shutdown takes over `process` (the new instance of the
  // copy being rolled, or one not rolled yet): the roll of it ends with `error`; an old
  // instance still running is stopped and goes once down. Call check() afterwards.
  void interrupt(const Process* process, const Error& error);
  // A reload removes the program of `process` (old or new instance): the roll lets go of
  // it at once (the reload stops and destroys both) and goes on with the others.
  void drop(const Process* process, const Error& error);
  // Shutdown: completes now; nothing is touched afterwards.
  void abort(const Error& error);
  // Another rolling restart ended: `by`, the copy's instance now, stands for `gone` (a
  // dependency this roll waits for).
  void replace(const Process* gone, Process* by);

  bool is_complete() const { return completed_; }
  // The new instance or one waiting for its turn: a later stop or restart must interrupt().
  bool involves(const Process* process) const;

 private:
  enum class Phase { Waiting, Starting, StoppingOld, StoppingNew, Interrupted };

  void next();
  void start_fresh();
  bool finish();
  void fail_rest(const std::string& why);

  Host host_;
  std::vector<Process*> queue_;  // not rolled yet
  Completion done_;
  Process* old_ = nullptr;       // the copy being rolled: its running instance
  Process* fresh_ = nullptr;     // and its new one
  Phase phase_ = Phase::Starting;
  std::optional<StartGate> gate_;  // Waiting: old's dependencies, before a new instance is made
  std::string failure_;          // why the new instance did not make it
  ProcessResults results_;
  bool completed_ = false;
};

}  // namespace konnect
