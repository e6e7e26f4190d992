#pragma once
// A Config as konnectd.toml text (konnectctl convert, and the running config konnectctl
// reexec hands to the next image): loading the text gives back the same effective config
// (programs, groups and [konnectd] settings compare equal; every setting is written). Every file's
// content lands in one file: includes are flattened. Keys that hold their default are left
// out, so the result reads like a hand-written file. Pure.

#include "common/config/config.hpp"

#include <string>
#include <string_view>

namespace konnect {

// `header` is written first, each line as a comment.
std::string write_toml_config(const Config& config, std::string_view header);

}  // namespace konnect
