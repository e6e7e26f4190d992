#pragma once
// Which control socket konnectctl talks to (SPEC.md "Files"). First match wins:
//   1. -s PATH
//   2. -c FILE: FILE's [konnectd] socket; a config error is a usage error (exit 2)
//   3. $KONNECT_SOCKET (when set and not empty)
//   4. the default config (/etc/konnect/konnectd.toml), when it exists: its socket
//   5. /run/konnect/konnectd.sock
// Reading a config file goes through an injected reader, so this file needs no config
// loader and tests can point the default config anywhere.

#include "common/error.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace konnect::ctl {

inline constexpr const char* kDefaultSocket = "/run/konnect/konnectd.sock";

// Loads a config file and returns its [konnectd] socket (resolved against the file's directory).
using ConfigSocketReader = std::function<Result<std::filesystem::path>(const std::filesystem::path&)>;

struct SocketSources {
  std::string socket_option;  // -s PATH; empty when not given
  std::string config_option;  // -c FILE; empty when not given
  std::string env_socket;     // $KONNECT_SOCKET; empty when unset
  std::filesystem::path default_config;  // checked with exists(); empty: skip step 4
  ConfigSocketReader read_config;        // must be set when step 2 or 4 can be reached
};

struct SocketChoice {
  std::filesystem::path path;
  // Non-empty when the default config exists but cannot be read: konnectctl says so on
  // stderr and falls back to kDefaultSocket rather than refusing to talk to the daemon.
  std::string warning;
};

// Errors: the -c FILE config error, as the reader returned it.
Result<SocketChoice> resolve_socket_path(const SocketSources& sources);

}  // namespace konnect::ctl
