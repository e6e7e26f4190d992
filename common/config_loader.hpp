#pragma once
// Loads konnectd.toml and every file its `include` globs name into a Config.
// Pure: reads files, never logs, never touches processes. Every error names file, line,
// key and what is accepted (Error::file/line/key/message).

#include "common/config.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <string_view>

namespace konnect {

// Reads FILE (and its includes). Relative paths in a file resolve against that file's
// directory. Unknown keys, wrong types, bad values, duplicate program names, groups that
// name unknown programs and programs in two groups are errors.
Result<Config> load_config(const std::filesystem::path& file);

// Same, from text already in memory (tests); `file` names it in errors and anchors
// relative paths.
Result<Config> load_config_from_string(std::string_view text, const std::filesystem::path& file);

// Reads only `[konnectd] socket` from FILE, resolved against its directory (konnectctl -c):
// no includes, no program checks, no user lookups. The default socket when it is not set.
Result<std::filesystem::path> read_socket_setting(const std::filesystem::path& file);

}  // namespace konnect
