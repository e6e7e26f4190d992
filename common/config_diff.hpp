#pragma once
// What changed between the running config and a newly read one, per program (reread,
// and later reload). Pure.

#include "common/config.hpp"

#include <string>
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
// group's priority changed.
ConfigDiff diff_configs(const Config& running, const Config& next);

}  // namespace konnect
