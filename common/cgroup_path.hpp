#pragma once
// Where a process's cgroup v2 directory is: the cgroup2 mount (from /proc/self/mountinfo)
// joined with the process's path in the unified hierarchy (the "0::" line of
// /proc/self/cgroup). Works on a pure cgroup2 system (/sys/fs/cgroup) and on a hybrid one
// (/sys/fs/cgroup/unified). Used by daemon/cgroup_tree and the tests that delegate a cgroup.

#include "common/error.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace konnect {

// The mount point of the first cgroup2 file system in mountinfo text, if any.
std::optional<std::filesystem::path> cgroup2_mount(std::string_view mountinfo);
// The path of the "0::PATH" line of /proc/PID/cgroup text, if any ("/" is the root cgroup).
std::optional<std::string> unified_cgroup(std::string_view proc_cgroup);
// This process's cgroup v2 directory, or why there is none.
Result<std::filesystem::path> own_cgroup_dir();

}  // namespace konnect
