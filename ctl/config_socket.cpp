#include "ctl/config_socket.hpp"

#include "common/config/config_loader.hpp"

namespace konnect::ctl {

Result<std::filesystem::path> socket_from_config(const std::filesystem::path& config_file) {
  return read_socket_setting(config_file);
}

}  // namespace konnect::ctl
