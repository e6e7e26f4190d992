#pragma once
// What reload (and update, add, remove) will do to the running set, per program, and the
// config that runs once it is done. Pure: the daemon applies the plan (daemon/supervision/reload.cpp).
//
// A program whose process must be made anew (needs_restart: command, directory, user,
// environment, numprocs, log paths, group membership) is restarted; one whose other settings
// changed is updated in place and keeps its pid; an unchanged one is not touched at all.
// Unlike supervisord, the unit is the program, never the whole group.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <string>
#include <vector>

namespace konnect {

struct ReloadPlan {
  std::vector<std::string> added;      // new programs: created, started if autostart
  std::vector<std::string> restarted;  // stopped, then made anew from `result`
  std::vector<std::string> updated;    // new settings applied to the running processes
  std::vector<std::string> removed;    // stopped and dropped
  Config result;                       // the running config once the plan is applied
  std::vector<std::string> warnings;   // [konnectd] changes that wait for konnectd's next start
  bool empty() const { return added.empty() && restarted.empty() && updated.empty() && removed.empty(); }
};

// reload / update [NAME...]: everything that differs between running and next, or only the
// programs that `only` names (program or group names of either config; "all" means every
// one). A name of neither config is a NO_SUCH_PROCESS error. [konnectd] settings come from
// next except the daemon's own files (socket, pid_file, log_file and its rotation), which
// keep the values in use: they take effect when konnectd starts again. With `only`,
// [konnectd] stays as it runs.
Result<ReloadPlan> plan_reload(const Config& running, const Config& next, const std::vector<std::string>& only);

// add NAME...: the programs of next that NAME (a program or group) stands for and that do
// not run yet. A name that is fully running is an error ("already active"), as supervisorctl.
Result<ReloadPlan> plan_add(const Config& running, const Config& next, const std::vector<std::string>& names);

// remove NAME...: drops running programs (or every program of a running group), whatever the
// file on disk says; they are stopped first.
Result<ReloadPlan> plan_remove(const Config& running, const std::vector<std::string>& names);

}  // namespace konnect
