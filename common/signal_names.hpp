#pragma once
// Signal names <-> numbers: "TERM", "SIGTERM", "term" and "15" all mean SIGTERM.

#include <optional>
#include <string>
#include <string_view>

namespace konnect {

std::optional<int> parse_signal(std::string_view text);
// "TERM" for SIGTERM (no SIG prefix, as supervisord prints it); the number if unknown.
std::string signal_name(int signo);

}  // namespace konnect
