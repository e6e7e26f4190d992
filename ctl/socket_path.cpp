#include "ctl/socket_path.hpp"

#include <system_error>

namespace konnect::ctl {

Result<SocketChoice> resolve_socket_path(const SocketSources& sources) {
  if (!sources.socket_option.empty()) return SocketChoice{sources.socket_option, {}};
  if (!sources.config_option.empty()) {
    auto socket = sources.read_config(sources.config_option);
    if (!socket) return socket.error();
    return SocketChoice{*socket, {}};
  }
  if (!sources.env_socket.empty()) return SocketChoice{sources.env_socket, {}};
  std::error_code ec;
  if (!sources.default_config.empty() && std::filesystem::exists(sources.default_config, ec)) {
    auto socket = sources.read_config(sources.default_config);
    if (socket) return SocketChoice{*socket, {}};
    return SocketChoice{kDefaultSocket,
                        "warning: cannot read " + sources.default_config.string() + ": " +
                            socket.error().to_string() + "; using " + kDefaultSocket};
  }
  return SocketChoice{kDefaultSocket, {}};
}

}  // namespace konnect::ctl
