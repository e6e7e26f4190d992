#include "ctl/config_socket.hpp"

#include "common/config_loader.hpp"

namespace konnect::ctl {

Result<std::filesystem::path> socket_from_config(const std::filesystem::path& config_file) {
  auto config = load_config(config_file);
  if (!config) return config.error();
  std::filesystem::path socket = config->daemon.socket;
  // The loader resolves relative paths already; this keeps a relative socket meaning
  // "next to the config file" even if it did not.
  if (socket.is_relative()) socket = std::filesystem::absolute(config_file).parent_path() / socket;
  return socket;
}

}  // namespace konnect::ctl
