#pragma once
// A small kernel file (procfs, cgroupfs) read whole, in one open and a few reads: what
// /proc/PID/stat, cgroup.events or cpu.stat hold. Blocking only as procfs and cgroupfs are.

#include <optional>
#include <string>

namespace konnect {

// nullopt when it cannot be opened (gone, or no such controller file).
std::optional<std::string> read_small_file(const std::string& path);

}  // namespace konnect
