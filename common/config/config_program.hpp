#pragma once
// Internal to the config loader: one [program.NAME] or [group.NAME] table -> its config.
// Checks that need every file (duplicates, group members) are the loader's.

#include "common/config/config.hpp"
#include "common/config/config_values.hpp"
#include "common/error.hpp"

#include <toml++/toml.h>

#include <optional>
#include <string_view>

namespace konnect::config_detail {

// `f` is the table's field: key "program.NAME", line of the [program.NAME] header (or
// "eventlistener.NAME": listener, with its events, buffer_size and result_handler).
Result<ProgramConfig> read_program(const Field& f, const std::string& name, bool listener = false);
Result<GroupConfig> read_group_table(const Field& f, const std::string& name);

// Sets one program key (a name of the [program.NAME] table) from `f`; false when the key is
// not one (the supervisord INI reader maps its options onto these).
std::optional<Result<void>> set_program_key(std::string_view key, const Field& f, ProgramConfig& p);

// config_listener.cpp: one key of an event listener that a program does not have (events,
// buffer_size, result_handler), nullopt for any other key; and what a listener may not be
// (redirect_stderr, a stdout_log: its stdout is the protocol; no events).
std::optional<Result<void>> set_listener_key(std::string_view key, const Field& f, ListenerConfig& l);
Result<void> check_listener(const Field& f, const ProgramConfig& p, bool stdout_log_set);

}  // namespace konnect::config_detail
