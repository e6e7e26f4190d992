#pragma once
// konnectctl's text formats: pure functions from the daemon's JSON to the lines it prints.
// They never throw on a malformed answer: a missing or mistyped field prints as empty (0
// for numbers) rather than aborting the whole output.

#include "common/protocol/protocol.hpp"

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::ctl {

// What one status line shows. A missing or mistyped field is empty, as json_string() gives.
struct StatusRow {
  std::string name;
  std::string state;
  std::string description;
};

// supervisorctl's status line: NAME left-aligned in `name_width` columns, STATE in 10,
// then the description. Widths count code points, as Python's "%-Ns" does.
std::string format_status_line(std::string_view name, std::string_view state, std::string_view description,
                               std::size_t name_width);
// The rows of a parsed `processes` array (a JSON array of process objects); not an array:
// none. ctl/status_answer reads the same rows without a Json tree.
std::vector<StatusRow> status_rows(const Json& processes);
// max(30, longest name) + 3 over `rows`.
std::size_t status_name_width(const std::vector<StatusRow>& rows);
// One format_status_line() per row, each ending in '\n'.
std::string format_status(const std::vector<StatusRow>& rows);

// "no such process" for NO_SUCH_PROCESS: the wire code lower-cased, '_' -> ' '.
std::string error_code_phrase(std::string_view code);
// "NAME: ERROR (failed: not running)"; without a message "NAME: ERROR (failed)". No '\n'.
std::string format_process_error(std::string_view name, const Json& error);

// Per-process lines of a start/stop/restart/signal answer: each ok process prints one
// "NAME: VERB" line per entry of `verbs` ({"stopped", "started"} for restart), each failed
// one its format_process_error() line. Every line ends in '\n'.
std::string format_action_lines(const Json& processes, std::initializer_list<std::string_view> verbs);

// Field readers that tolerate a malformed answer.
std::string_view json_string(const Json& object, std::string_view key);
long long json_integer(const Json& object, std::string_view key);
bool json_bool(const Json& object, std::string_view key);
// object[key] when it is an array, else an empty array.
const Json& json_array(const Json& object, std::string_view key);

}  // namespace konnect::ctl
