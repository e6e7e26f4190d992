#pragma once
// The one place konnectctl reads a config file: only the [konnectd] socket matters to it.
// Kept apart so everything else in ctl/ (and its tests) links without the config loader.

#include "common/error.hpp"

#include <filesystem>

namespace konnect::ctl {

// load_config(FILE).daemon.socket; the loader already resolves it against FILE's directory.
Result<std::filesystem::path> socket_from_config(const std::filesystem::path& config_file);

}  // namespace konnect::ctl
