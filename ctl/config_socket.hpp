#pragma once
// The one place konnectctl reads a config file: only the [konnectd] socket matters to it.
// Kept apart so everything else in ctl/ (and its tests) links without the config loader.

#include "common/error.hpp"

#include <filesystem>

namespace konnect::ctl {

// [konnectd] socket of FILE, resolved against FILE's directory (read_socket_setting).
Result<std::filesystem::path> socket_from_config(const std::filesystem::path& config_file);

}  // namespace konnect::ctl
