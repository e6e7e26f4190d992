#pragma once
// The INI syntax of supervisord's config files, as Python's configparser reads it with
// supervisord's settings (RawConfigParser, inline_comment_prefixes ";" and "#", strict off):
// `[section]` headers; `key = value` or `key: value` (keys lower-cased, values stripped);
// whole-line comments starting with ";" or "#"; an inline comment starts at ";" or "#"
// after whitespace; a line indented deeper than its option continues the value (joined with
// "\n"); a section or option given twice merges, the later value wins. Pure: text in, sections out.

#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace konnect {

struct IniOption {
  std::string key;    // lower-cased
  std::string value;  // stripped; continuation lines joined with '\n'
  int line = 0;       // of the key
};

struct IniSection {
  std::string name;  // as written between the brackets, stripped
  int line = 0;
  std::vector<IniOption> options;  // in order; each key once

  const IniOption* find(std::string_view key) const;
};

// A line that is neither a section, an option, a comment nor a continuation is a
// CONFIG_ERROR naming `file` and the line.
Result<std::vector<IniSection>> parse_ini(std::string_view text, const std::string& file);

}  // namespace konnect
