#pragma once
// Applies one ReloadPlan to the Supervisor (reload, update, add, remove, SIGHUP), in steps:
//   1. stop every process of the removed and restarted programs (one Stop operation: reverse
//      priority, stopsignal, stopwaitsecs, as `konnectctl stop`);
//   2. drop them: operations waiting on them fail, tail -f followers end, their log streams
//      are drained and closed;
//   3. give the updated programs their new settings in place (same processes, same pids);
//   4. make the added and restarted programs from the new config (Supervisor::config(), which
//      plan.result became) and start the autostart ones; a restarted program that it makes `restart = "rolling"` and that keeps its
//      group, copies and output is not stopped in step 1 but rolled here instead
//      (Supervisor::roll_programs), at the same time;
//   5. done gets {"processes": [start and roll results]} (docs/protocol.md, "reload").
// Unchanged programs are never touched. Every step runs from a handler of its own, never
// inside another operation's completion (which may be iterating the operations).
// A shutdown that begins meanwhile wins: the reload ends with SHUTTING_DOWN and touches
// nothing more.

#include "common/error.hpp"
#include "common/config/reload_plan.hpp"

#include <boost/asio/any_io_executor.hpp>
#include "common/protocol/results.hpp"

#include <functional>
#include <vector>

namespace konnect {

class Supervisor;

class Reload {
 public:
  using Done = std::function<void(Result<ProcessResults>)>;
  Reload(Supervisor& supervisor, boost::asio::any_io_executor executor, ReloadPlan plan, Done done);

  void begin();

 private:
  void stop_old();
  void on_stopped();
  void on_dropped();
  void on_started(ProcessResults results);
  void finish(Result<ProcessResults> result);
  // Runs step on the loop, later (never inside the caller's handler).
  void then(void (Reload::*step)());

  Supervisor& supervisor_;
  boost::asio::any_io_executor executor_;
  ReloadPlan plan_;
  std::vector<std::string> old_;     // removed + restarted: their processes go
  std::vector<std::string> rolled_;  // restarted by rolling: their processes stay until replaced
  Done done_;
  int parts_ = 0;             // step 4: the start and the rolls still running
  ProcessResults results_;   // and what they gave
};

}  // namespace konnect
