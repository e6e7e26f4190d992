#pragma once
// Internal to the config loader: typed readers for single TOML values. Each reader takes a
// Field (the node plus where it is) and returns the C++ value or an Error naming file, line,
// dotted key, what was expected and what was found. Not part of the public interface.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::config_detail {

using AccountCheck = bool (*)(bool is_group, const std::string& name);

// The file a value comes from: its name in errors and the directory relative paths
// resolve against.
struct FileInfo {
  std::string name;          // absolute path as read
  std::filesystem::path dir;  // its directory
  AccountCheck account_exists = nullptr;  // user/group names: unchecked when null
};

// One TOML value and where it is.
struct Field {
  const toml::node* node = nullptr;
  const FileInfo* file = nullptr;
  std::string key;  // dotted: "program.web.startsecs"
  int line = 0;     // the value's line, or its table's when toml++ has none

  // A member of this array or table, for element-precise errors.
  Field child(const toml::node& member, std::string_view subkey) const;
  Error error(std::string message) const;
  // "expected WHAT, got <the value as written>".
  Error expected(std::string_view what) const;
};

Field make_field(const toml::node& node, const FileInfo& file, std::string key, int fallback_line);
Error config_error(const FileInfo& file, int line, std::string key, std::string message);
int line_of(const toml::node& node, int fallback = 0);

// A value as the user wrote it, for messages: "abc" with quotes, 5, true, an array, a table.
std::string describe(const toml::node& node);
// "a, b, c" from a list of names.
std::string join(const std::vector<std::string_view>& names);

// Program and group names: [A-Za-z0-9._@-]+.
bool is_valid_name(std::string_view name);
inline constexpr std::string_view kNameChars = "letters, digits and . _ @ -";

Result<std::string> read_string(const Field& f);  // non-empty
Result<bool> read_bool(const Field& f);
Result<std::int64_t> read_int(const Field& f, std::int64_t min = std::numeric_limits<int>::min(),
                              std::int64_t max = std::numeric_limits<int>::max());
Result<Duration> read_duration(const Field& f);
Result<std::uint64_t> read_size(const Field& f);
// A path; relative ones resolve against the field's file's directory.
Result<std::filesystem::path> read_path(const Field& f);
// One string or an array of strings (include).
Result<std::vector<std::string>> read_string_list(const Field& f);
Result<std::vector<std::string>> read_command(const Field& f);
Result<mode_t> read_umask(const Field& f);
Result<std::map<std::string, std::string>> read_environment(const Field& f);
Result<std::vector<int>> read_exitcodes(const Field& f);
Result<int> read_signal(const Field& f);
Result<AutoRestart> read_autorestart(const Field& f);
// restart = "stop-start" | "rolling".
Result<RestartMode> read_restart_mode(const Field& f);
Result<LogTarget> read_log_target(const Field& f);
Result<std::string> read_user(const Field& f);   // must exist, when the file's account_exists says
Result<std::string> read_group(const Field& f);  // the same for groups

// [konnectd] http: "HOST:PORT", HOST an IP address, [IPv6], localhost, or * (or nothing) for
// every address; and whether it is reachable from this host only.
Result<std::string> read_http_address(const Field& f);
bool is_loopback_http(const std::string& address);

}  // namespace konnect::config_detail
