#pragma once
// Internal to the config loader: one [program.NAME] or [group.NAME] table -> its config.
// Checks that need every file (duplicates, group members) are the loader's.

#include "common/config.hpp"
#include "common/config_values.hpp"
#include "common/error.hpp"

#include <toml++/toml.h>

namespace konnect::config_detail {

// `f` is the table's field: key "program.NAME", line of the [program.NAME] header.
Result<ProgramConfig> read_program(const Field& f, const std::string& name);
Result<GroupConfig> read_group_table(const Field& f, const std::string& name);

}  // namespace konnect::config_detail
