#include "ctl/options.hpp"

#include <cstddef>
#include <optional>
#include <utility>

namespace konnect::ctl {
namespace {

Error usage_error(std::string message) { return make_error(ErrorCode::BadArguments, std::move(message)); }

// Matches `arg` against a value-taking option in all its spellings: "-c FILE", "-cFILE",
// "--config FILE", "--config=FILE". Returns false when `arg` is not this option; otherwise
// stores the value (advancing `i` past a separate value word) or an error.
bool take_value(const std::vector<std::string>& args, std::size_t& i, char short_name,
                std::string_view long_name, std::string& value, std::optional<Error>& error) {
  std::string_view arg = args[i];
  std::string_view shown;
  std::optional<std::string_view> inline_value;
  if (arg.size() >= 2 && arg[0] == '-' && arg[1] == short_name) {
    shown = arg.substr(0, 2);
    if (arg.size() > 2) inline_value = arg.substr(2);
  } else if (arg.starts_with("--") && arg.substr(2).starts_with(long_name) &&
             (arg.size() == 2 + long_name.size() || arg[2 + long_name.size()] == '=')) {
    shown = arg.substr(0, 2 + long_name.size());
    if (arg.size() > shown.size()) inline_value = arg.substr(shown.size() + 1);
  } else {
    return false;
  }
  if (inline_value) {
    value = std::string(*inline_value);
  } else if (i + 1 < args.size()) {
    value = args[++i];
  } else {
    error = usage_error("option '" + std::string(shown) + "' requires an argument");
    return true;
  }
  if (value.empty()) error = usage_error("option '" + std::string(shown) + "' requires a non-empty argument");
  return true;
}

}  // namespace

Result<Invocation> parse_options(const std::vector<std::string>& args) {
  Invocation inv;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // the command ("-" alone is a word too)
    if (arg == "-h" || arg == "--help") {
      inv.help = true;
      continue;
    }
    if (arg == "--json") {
      inv.json = true;
      continue;
    }
    std::optional<Error> error;
    if (take_value(args, i, 'c', "config", inv.config_file, error) ||
        take_value(args, i, 's', "socket", inv.socket, error)) {
      if (error) return *error;
      continue;
    }
    return usage_error("unknown option '" + arg + "'");
  }
  if (i < args.size()) {
    inv.command = args[i];
    inv.args.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  }
  return inv;
}

}  // namespace konnect::ctl
