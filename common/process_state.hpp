#pragma once
// The seven public process states of SPEC.md (supervisord's machine), one name table.

#include <optional>
#include <string_view>

namespace konnect {

enum class State { Stopped, Starting, Running, Backoff, Stopping, Exited, Fatal };

std::string_view to_string(State state);
std::optional<State> state_from_string(std::string_view name);

// STARTING, RUNNING, BACKOFF, STOPPING: a main process exists or is about to.
bool is_active(State state);
// STOPPED, EXITED, FATAL: nothing runs and nothing will without a command (or autorestart).
bool is_down(State state);

}  // namespace konnect
