#pragma once
// What changed between the running config and a newly read one, per program (reread,
// and later reload). Pure.

#include "common/config/config.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace konnect {

struct ConfigDiff {
  std::vector<std::string> added;    // "available": in the new config only
  std::vector<std::string> changed;  // in both, with different settings or group
  std::vector<std::string> removed;  // "disappeared": in the running config only
  bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

// Program names, each list sorted. A program counts as changed when any setting differs
// (ProgramConfig::operator==) or when it moved into, out of or between [group]s, or its
// group's priority changed, or its "auto" log files move with a new log_dir.
ConfigDiff diff_configs(const Config& running, const Config& next);

// True when `program`'s output goes under log_dir ("auto") and log_dir differs between the
// two configs: its files move, so it counts as changed.
bool auto_logs_moved(const Config& running, const Config& next, const ProgramConfig& program);

// program name -> (group name, group priority); a program in no [group] is its own group,
// with its own priority.
std::map<std::string, std::pair<std::string, int>> program_groups(const Config& config);

}  // namespace konnect
