#pragma once
// The processes in priority order (group priority, program priority, namespec:
// supervisord's order) and the names a client may use for them (SPEC.md targets: NAME,
// GROUP:*, GROUP:NAME, all), so that resolving a request costs its matches, not a scan.
//
// Owns: the order and the name maps, rebuilt whenever the set of processes or their
// priorities change. Holds no process: the pointers are the Supervisor's current instances.

#include "common/error.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace konnect {

class Process;

class TargetIndex {
 public:
  void rebuild(std::vector<Process*> processes);

  const std::vector<Process*>& ordered() const { return ordered_; }
  // Each once, in priority order. A target that names nothing is a NO_SUCH_PROCESS error.
  Result<std::vector<Process*>> resolve(const std::vector<std::string>& targets) const;
  // Sorts processes (each indexed) into priority order.
  void sort(std::vector<Process*>& processes) const;

 private:
  std::vector<Process*> ordered_;
  std::unordered_map<const Process*, std::size_t> rank_;  // index in ordered_
  std::unordered_map<std::string, std::vector<Process*>> by_name_;  // group, program, process names
  std::unordered_map<std::string, std::vector<Process*>> by_group_;
};

}  // namespace konnect
