#pragma once
// Internal to the config loader: one supervisord INI file (a .conf or .ini, as main file or
// include) -> programs, groups, includes and [konnectd] settings, so an existing
// /etc/supervisor.d/*.conf works unchanged. docs/migrating-from-supervisord.md lists every
// option and what becomes of it.
//
// Values are expanded as supervisord does (%(program_name)s, %(process_num)02d,
// %(group_name)s, %(numprocs)d, %(here)s, %(host_node_name)s, %(ENV_X)s, %%), then read by
// the same typed readers as TOML, so a bad value is the same error, naming the INI file,
// line and option. Options konnect does not implement are warnings, never silently dropped.
//
// numprocs: when process_name is NAME_NN (supervisord's usual %(program_name)s_%(process_num)02d)
// and no other option uses %(process_num), the program keeps numprocs. Otherwise every
// process becomes a program of its own, named by process_name, in a group named after the
// program (or in the [group:x] that lists it): status shows the same GROUP:PROCESS names.

#include "common/config/config.hpp"
#include "common/config/config_values.hpp"
#include "common/error.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::config_detail {

struct IniInclude {
  std::string pattern;  // absolute; may hold wildcards
  int line = 0;
};

struct IniContents {
  std::vector<ProgramConfig> programs;
  std::vector<GroupConfig> groups;  // members as written: INI program names (see split)
  // A program whose processes became programs of their own -> their names, in order.
  std::map<std::string, std::vector<std::string>> split;
  std::vector<IniInclude> includes;
  std::vector<Error> warnings;
};

// `daemon` receives [supervisord] and [unix_http_server] settings when is_main.
Result<IniContents> read_supervisord_file(std::string_view text, const FileInfo& file, bool is_main,
                                          DaemonConfig& daemon);

// True for the file names read as supervisord INI: *.conf and *.ini.
bool is_supervisord_file(const std::filesystem::path& path);

// supervisord's %-expansion: `%(name)s`, `%(name)d`, `%(name)02d`, `%%`. A name that is not
// in `vars` or a stray `%` is an error message (the caller adds file, line and option).
struct Expansion {
  std::string value;
  bool numeric = false;  // may be formatted with d
};
Result<std::string> expand_percent(std::string_view text, const std::map<std::string, Expansion>& vars);

}  // namespace konnect::config_detail
