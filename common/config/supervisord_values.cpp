#include "common/config/supervisord_values.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace konnect::config_detail {
namespace {

constexpr ProgramOption kProgramOptions[] = {
    {"command", "command", Kind::String},
    {"directory", "directory", Kind::String},
    {"user", "user", Kind::String},
    {"umask", "umask", Kind::String},
    {"environment", "environment", Kind::Environment},
    {"priority", "priority", Kind::Int},
    {"autostart", "autostart", Kind::Bool},
    {"autorestart", "autorestart", Kind::AutoRestart},
    {"exitcodes", "exitcodes", Kind::List},
    {"startsecs", "startsecs", Kind::Int},
    {"startretries", "startretries", Kind::Int},
    {"stopsignal", "stopsignal", Kind::String},
    {"stopwaitsecs", "stopwaitsecs", Kind::Int},
    {"stopasgroup", "stopasgroup", Kind::Bool},
    {"killasgroup", "killasgroup", Kind::Bool},
    {"redirect_stderr", "redirect_stderr", Kind::Bool},
    {"stdout_logfile", "stdout_log", Kind::Log},
    {"stderr_logfile", "stderr_log", Kind::Log},
    {"stdout_logfile_maxbytes", "stdout_log_maxbytes", Kind::Int},
    {"stderr_logfile_maxbytes", "stderr_log_maxbytes", Kind::Int},
    {"stdout_logfile_backups", "stdout_log_backups", Kind::Int},
    {"stderr_logfile_backups", "stderr_log_backups", Kind::Int},
    {"stdout_events_enabled", "stdout_events_enabled", Kind::Bool},
    {"stderr_events_enabled", "stderr_events_enabled", Kind::Bool},
};

// Read by supervisord, not implemented by konnect: a warning each.
constexpr std::string_view kUnsupportedProgramOptions[] = {
    "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_syslog", "stderr_syslog", "serverurl",
};

}  // namespace

const ProgramOption* find_option(std::string_view ini) {
  for (const auto& o : kProgramOptions) {
    if (o.ini == ini) return &o;
  }
  return nullptr;
}

bool is_unsupported_program_option(std::string_view ini) {
  return std::find(std::begin(kUnsupportedProgramOptions), std::end(kUnsupportedProgramOptions), ini) !=
         std::end(kUnsupportedProgramOptions);
}

std::string ini_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ini_trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<bool> ini_bool(std::string_view v) {
  const std::string s = ini_lower(v);
  if (s == "1" || s == "yes" || s == "true" || s == "on") return true;
  if (s == "0" || s == "no" || s == "false" || s == "off") return false;
  return std::nullopt;
}

std::optional<std::int64_t> ini_int(std::string_view v) {
  if (v.empty() || v.size() > 18) return std::nullopt;
  std::size_t i = v[0] == '-' ? 1 : 0;
  if (i == v.size()) return std::nullopt;
  for (std::size_t j = i; j < v.size(); ++j) {
    if (v[j] < '0' || v[j] > '9') return std::nullopt;
  }
  return std::stoll(std::string(v));
}

std::vector<std::string> split_list(std::string_view v, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= v.size()) {
    const auto end = v.find(sep, start);
    std::string item = ini_trim(v.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (!item.empty()) out.push_back(std::move(item));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

std::optional<std::map<std::string, std::string>> ini_environment(std::string_view v) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= v.size()) break;
    const auto eq = v.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key = ini_trim(v.substr(i, eq - i));
    if (key.empty()) return std::nullopt;
    i = eq + 1;
    skip_space();
    std::string value;
    if (i < v.size() && (v[i] == '"' || v[i] == '\'')) {
      const char quote = v[i];
      const auto close = v.find(quote, i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      value = std::string(v.substr(i + 1, close - i - 1));
      i = close + 1;
      skip_space();
    } else {
      // As supervisord's shlex: an unquoted value is one word.
      const auto end = v.find_first_of(", \t\n", i);
      value = std::string(v.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
      i = end == std::string_view::npos ? v.size() : end;
      skip_space();
    }
    out[key] = value;
    if (i < v.size()) {
      if (v[i] != ',') return std::nullopt;
      ++i;
    }
  }
  return out;
}

std::unique_ptr<toml::node> to_node(Kind kind, const std::string& v) {
  switch (kind) {
    case Kind::Bool:
      if (auto b = ini_bool(v)) return std::make_unique<toml::value<bool>>(*b);
      break;
    case Kind::AutoRestart:
      if (ini_lower(v) == "unexpected") return std::make_unique<toml::value<std::string>>("unexpected");
      if (auto b = ini_bool(v)) return std::make_unique<toml::value<bool>>(*b);
      break;
    case Kind::Int:
      if (auto n = ini_int(v)) return std::make_unique<toml::value<std::int64_t>>(*n);
      break;
    case Kind::List: {
      auto array = std::make_unique<toml::array>();
      for (const auto& item : split_list(v, ',')) {
        if (auto n = ini_int(item)) {
          array->push_back(*n);
        } else {
          array->push_back(item);
        }
      }
      return array;
    }
    case Kind::Environment: {
      auto table = std::make_unique<toml::table>();
      if (auto env = ini_environment(v)) {
        for (const auto& [k, val] : *env) table->insert_or_assign(k, val);
      }
      return table;
    }
    case Kind::Log:
      if (ini_lower(v) == "auto") return std::make_unique<toml::value<std::string>>("auto");
      // supervisord's LOGFILE_NONES (and syslog, warned about by the caller).
      if (v.empty() || ini_lower(v) == "none" || ini_lower(v) == "off" || ini_lower(v) == "syslog") {
        return std::make_unique<toml::value<std::string>>("none");
      }
      // The container idiom (stdout_logfile=/dev/stdout, maxbytes=0): konnectd's console,
      // where each line is whole and says whose it is (stdout to stdout, stderr to stderr).
      if (v == "/dev/stdout" || v == "/dev/stderr" || v == "/dev/fd/1" || v == "/dev/fd/2") {
        return std::make_unique<toml::value<std::string>>("console");
      }
      break;
    case Kind::String:
      break;
  }
  return std::make_unique<toml::value<std::string>>(v);
}

}  // namespace konnect::config_detail
