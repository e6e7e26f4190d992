#pragma once
// Internal to the supervisord INI reader (supervisord_config.cpp): which [program:x] option
// sets which konnect key and how its text becomes the TOML value that key's reader expects,
// and supervisord's value syntax (booleans, integers, comma lists, environment= pairs).

#include <toml++/toml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::config_detail {

// How an INI string becomes the TOML value the konnect reader of that key expects.
enum class Kind { String, Bool, Int, List, Environment, Log, AutoRestart };

struct ProgramOption {
  std::string_view ini;      // supervisord's option
  std::string_view konnect;  // the [program.NAME] key it sets
  Kind kind;
};

// The option konnect reads for this [program:x] option, or null.
const ProgramOption* find_option(std::string_view ini);
// Read by supervisord, not implemented by konnect (a warning each).
bool is_unsupported_program_option(std::string_view ini);

std::string ini_lower(std::string_view s);
std::string ini_trim(std::string_view s);
// supervisord's booleans: 1/yes/true/on, 0/no/false/off, any case.
std::optional<bool> ini_bool(std::string_view v);
std::optional<std::int64_t> ini_int(std::string_view v);
// Items between `sep`, trimmed, empty ones dropped.
std::vector<std::string> split_list(std::string_view v, char sep);
// supervisord's dict_of_key_value_pairs: KEY=value,KEY2="a, b"; quotes keep commas.
std::optional<std::map<std::string, std::string>> ini_environment(std::string_view v);
// The TOML value a konnect reader expects for this INI text; what does not convert stays a
// string, so the reader's error shows the value as written.
std::unique_ptr<toml::node> to_node(Kind kind, const std::string& v);

}  // namespace konnect::config_detail
