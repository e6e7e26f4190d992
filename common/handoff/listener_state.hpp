#pragma once
// The event listeners' part of the reexec state (handoff::Listeners, version 2) as JSON: the
// pools' buffers, each listener's pipes, reader and event in flight. Payloads, reader bytes
// and unwritten bytes are base64: a program's output need not be UTF-8.

#include "common/handoff/handoff_state.hpp"
#include "common/handoff/json_fields.hpp"

#include <string>
#include <vector>

namespace konnect::handoff::detail {

json to_json(const Listeners& listeners);
// Throws Refused with the path of what is wrong.
Listeners listeners_from(const json& j, const std::string& at);
// The fds it names, in order.
void add_fds(const Listeners& listeners, std::vector<int>& out);

}  // namespace konnect::handoff::detail
