#pragma once
// Internal to the config loader: depends_on (SPEC.md "Readiness, health, order"). Reading one
// program's value, and checking the whole graph once every file is read: each name must be a
// program or a group, the graph must have no cycle, and a "completed" dependency must be able
// to stay completed.

#include "common/config/config.hpp"
#include "common/config/config_values.hpp"
#include "common/error.hpp"

#include <vector>

namespace konnect::config_detail {

// `f` is the value of program.NAME.depends_on: ["a", "b"] (each "running") or
// { a = "running", b = "completed" }.
Result<std::vector<Dependency>> read_depends_on(const Field& f);

// The first problem, naming file, line and program.NAME.depends_on: an unknown name, a cycle
// (all of it: "a -> b -> a"), or a "completed" dependency with autorestart = true. A
// "completed" dependency whose exit within startsecs would be a failed start gets a warning.
Result<void> check_dependencies(const Config& config, std::vector<Error>& warnings);

}  // namespace konnect::config_detail
