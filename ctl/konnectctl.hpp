#pragma once
// konnectctl from argv to output: options, command lookup, socket choice, one request, one
// answer. The process environment comes in as a value (Environment) and the output goes
// out as one (Outcome), so tests run the whole flow against an in-test socket server; only
// main.cpp touches getenv, stdout and stderr.

#include "common/config/config.hpp"
#include "ctl/commands.hpp"
#include "ctl/socket_path.hpp"

#include <filesystem>
#include <functional>
#include <string_view>
#include <string>
#include <vector>

namespace konnect::ctl {

struct Environment {
  std::string konnect_socket;  // $KONNECT_SOCKET; empty when unset
  std::filesystem::path default_config{kDefaultConfigFile};
  ConfigSocketReader read_config;  // socket_from_config() in the real program
  // Streamed output (tail -f): written as it arrives, not collected into the Outcome.
  // Unset: collected like everything else (tests).
  std::function<void(std::string_view)> write_out;
};

// `args` excludes argv[0].
Outcome run_konnectctl(const std::vector<std::string>& args, const Environment& env);

// Sends `request` to the daemon at `socket` and renders its answer: exit 4 when it cannot
// be reached, 1 when the answer is not a protocol answer.
// An answer with "more": true is followed by more answer lines (tail -f): each one's data (or,
// with json, the line itself) goes to write_out as it comes, until the daemon closes.
Outcome run_command(const Command& command, const Request& request, const std::filesystem::path& socket, bool json,
                    const std::function<void(std::string_view)>& write_out = {});

}  // namespace konnect::ctl
