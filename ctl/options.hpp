#pragma once
// konnectctl's global options: `konnectctl [-c FILE | -s SOCKET] [--json] [-h|--help] COMMAND [ARGS]`.
// Pure argv parsing; what the command's own arguments mean is commands.cpp's business, so
// everything from the first non-option word on is handed over untouched.

#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace konnect::ctl {

inline constexpr std::string_view kDefaultCommand = "status";

struct Invocation {
  std::string config_file;  // -c FILE; empty when not given
  std::string socket;       // -s PATH; empty when not given
  bool json = false;        // --json: print the daemon's answer line as received
  bool help = false;        // -h/--help: print the help text and exit 0
  std::string command{kDefaultCommand};
  std::vector<std::string> args;  // the command's arguments, as written
};

// `args` excludes argv[0]. A usage error comes back as ErrorCode::BadArguments whose message
// is the text to print after "konnectctl: " (e.g. "unknown option '-x'").
Result<Invocation> parse_options(const std::vector<std::string>& args);

}  // namespace konnect::ctl
