// Typed readers for single config values (config_values.hpp): TOML node -> C++ value, or an
// Error that says where the value is, what was expected and what was found.

#include "common/config/config_values.hpp"

#include "common/config/shell_words.hpp"
#include "common/signal_names.hpp"
#include "common/config/units.hpp"

#include <unistd.h>

#include <charconv>
#include <vector>

namespace konnect::config_detail {
namespace {

std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return "a number";
  return std::string(buf, end);
}

std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "\"";
  return out;
}


}  // namespace

Field Field::child(const toml::node& member, std::string_view subkey) const {
  Field f = *this;
  f.node = &member;
  if (!subkey.empty()) f.key += "." + std::string(subkey);
  f.line = line_of(member, line);
  return f;
}

Error Field::error(std::string message) const {
  return config_error(*file, line, key, std::move(message));
}

Error Field::expected(std::string_view what) const {
  return error("expected " + std::string(what) + ", got " + describe(*node));
}

Field make_field(const toml::node& node, const FileInfo& file, std::string key, int fallback_line) {
  return Field{&node, &file, std::move(key), line_of(node, fallback_line)};
}

Error config_error(const FileInfo& file, int line, std::string key, std::string message) {
  Error e = make_error(ErrorCode::Config, std::move(message));
  e.file = file.name;
  e.line = line;
  e.key = std::move(key);
  return e;
}

int line_of(const toml::node& node, int fallback) {
  auto line = static_cast<int>(node.source().begin.line);
  return line > 0 ? line : fallback;
}

std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return quote(node.as_string()->get());
    case toml::node_type::integer: return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point: return format_double(node.as_floating_point()->get());
    case toml::node_type::boolean: return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

bool is_valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> read_string(const Field& f) {
  const auto* s = f.node->as_string();
  if (!s) return f.expected("a string");
  if (s->get().empty()) return f.error("must not be empty; leave the key out for the default");
  return s->get();
}

Result<bool> read_bool(const Field& f) {
  const auto* b = f.node->as_boolean();
  if (!b) return f.expected("true or false");
  return b->get();
}

Result<std::int64_t> read_int(const Field& f, std::int64_t min, std::int64_t max) {
  const auto* i = f.node->as_integer();
  if (i && i->get() >= min && i->get() <= max) return i->get();
  if (min <= std::numeric_limits<int>::min()) return f.expected("an integer");
  if (max >= std::numeric_limits<int>::max()) {
    return f.expected("an integer of at least " + std::to_string(min));
  }
  return f.expected("an integer from " + std::to_string(min) + " to " + std::to_string(max));
}

Result<Duration> read_duration(const Field& f) {
  std::optional<Duration> d;
  if (const auto* s = f.node->as_string()) d = parse_duration(s->get());
  if (const auto* i = f.node->as_integer()) d = duration_from_seconds(i->get());
  if (const auto* x = f.node->as_floating_point()) d = duration_from_float_seconds(x->get());
  if (!d) return f.expected(R"(a duration such as "10s", "2m", "500ms" or a number of seconds)");
  return *d;
}

Result<std::uint64_t> read_size(const Field& f) {
  std::optional<std::uint64_t> n;
  if (const auto* s = f.node->as_string()) n = parse_size(s->get());
  if (const auto* i = f.node->as_integer(); i && i->get() >= 0) n = static_cast<std::uint64_t>(i->get());
  if (!n) return f.expected(R"(a size such as "50MB", "512KB", "1GB" or a number of bytes)");
  return *n;
}

namespace {

// A user or group name that must exist when the file's account_exists says.
Result<std::string> read_account(const Field& f, bool is_group) {
  auto name = read_string(f);
  if (!name) return name.error();
  if (f.file->account_exists && !f.file->account_exists(is_group, *name)) {
    const std::string what = is_group ? "group" : "user";
    return f.error("no such " + what + " " + describe(*f.node) + "; expected an existing " + what + " name");
  }
  return name;
}

}  // namespace

Result<std::string> read_user(const Field& f) { return read_account(f, false); }
Result<std::string> read_group(const Field& f) { return read_account(f, true); }

Result<std::filesystem::path> read_path(const Field& f) {
  const auto* s = f.node->as_string();
  if (!s || s->get().empty()) return f.expected("a non-empty path string");
  std::filesystem::path p(s->get());
  if (p.is_relative()) p = f.file->dir / p;
  return p.lexically_normal();
}

Result<std::vector<std::string>> read_string_list(const Field& f) {
  constexpr std::string_view kWhat = "a string or an array of strings";
  if (const auto* s = f.node->as_string()) return std::vector<std::string>{s->get()};
  const auto* a = f.node->as_array();
  if (!a) return f.expected(kWhat);
  std::vector<std::string> out;
  for (const auto& member : *a) {
    const auto* s = member.as_string();
    if (!s) return f.child(member, "").expected(kWhat);
    out.push_back(s->get());
  }
  return out;
}

Result<std::vector<std::string>> read_command(const Field& f) {
  constexpr std::string_view kWhat = "a command string or a non-empty array of strings";
  if (const auto* s = f.node->as_string()) {
    auto words = split_shell_words(s->get());
    if (!words) return f.error("cannot split command: " + words.error().message +
                                   "; close the quote or give the command as an array of strings");
    if (words->empty()) return f.expected(kWhat);
    return std::move(*words);
  }
  const auto* a = f.node->as_array();
  if (!a || a->empty()) return f.expected(kWhat);
  std::vector<std::string> argv;
  for (const auto& member : *a) {
    const auto* s = member.as_string();
    if (!s) return f.child(member, "").expected(kWhat);
    argv.push_back(s->get());
  }
  if (argv[0].empty()) return f.error("the program to run (the first word) must not be empty");
  return argv;
}

Result<mode_t> read_umask(const Field& f) {
  constexpr std::string_view kWhat = R"(an octal umask such as "022" or 0o022)";
  if (const auto* i = f.node->as_integer()) {
    if (i->get() < 0 || i->get() > 0777) return f.expected(kWhat);
    return static_cast<mode_t>(i->get());
  }
  const auto* s = f.node->as_string();
  if (!s || s->get().empty() || s->get().size() > 4) return f.expected(kWhat);
  mode_t mask = 0;
  for (char c : s->get()) {
    if (c < '0' || c > '7') return f.expected(kWhat);
    mask = mask * 8 + static_cast<mode_t>(c - '0');
  }
  if (mask > 0777) return f.expected(kWhat);
  return mask;
}

Result<std::map<std::string, std::string>> read_environment(const Field& f) {
  const auto* t = f.node->as_table();
  if (!t) return f.expected(R"(a table of NAME = "value")");
  std::map<std::string, std::string> env;
  for (const auto& [k, v] : *t) {
    std::string name(k.str());
    Field entry = f.child(v, name.empty() ? "\"\"" : name);
    if (name.empty() || name.find('=') != std::string::npos) {
      return entry.error("environment variable names must be non-empty and contain no '='");
    }
    switch (v.type()) {
      case toml::node_type::string: env[name] = v.as_string()->get(); break;
      case toml::node_type::integer: env[name] = std::to_string(v.as_integer()->get()); break;
      case toml::node_type::floating_point: env[name] = format_double(v.as_floating_point()->get()); break;
      case toml::node_type::boolean: env[name] = v.as_boolean()->get() ? "true" : "false"; break;
      default: return entry.expected("a string, number or boolean");
    }
  }
  return env;
}

Result<std::vector<int>> read_exitcodes(const Field& f) {
  constexpr std::string_view kWhat = "an exit code from 0 to 255 or a non-empty array of them";
  auto code = [&](const toml::node& n) -> std::optional<int> {
    const auto* i = n.as_integer();
    if (!i || i->get() < 0 || i->get() > 255) return std::nullopt;
    return static_cast<int>(i->get());
  };
  if (f.node->is_integer()) {
    auto c = code(*f.node);
    if (!c) return f.expected(kWhat);
    return std::vector<int>{*c};
  }
  const auto* a = f.node->as_array();
  if (!a || a->empty()) return f.expected(kWhat);
  std::vector<int> codes;
  for (const auto& member : *a) {
    auto c = code(member);
    if (!c) return f.child(member, "").expected(kWhat);
    codes.push_back(*c);
  }
  return codes;
}

Result<int> read_signal(const Field& f) {
  std::optional<int> signo;
  if (const auto* s = f.node->as_string()) signo = parse_signal(s->get());
  if (const auto* i = f.node->as_integer(); i && i->get() > 0 && i->get() < 1000) {
    signo = parse_signal(std::to_string(i->get()));
  }
  if (!signo) return f.expected(R"(a signal name such as "TERM", "QUIT" or "SIGINT", or a signal number)");
  return *signo;
}

Result<AutoRestart> read_autorestart(const Field& f) {
  if (const auto* b = f.node->as_boolean()) return b->get() ? AutoRestart::Always : AutoRestart::Never;
  if (const auto* s = f.node->as_string(); s && s->get() == "unexpected") return AutoRestart::Unexpected;
  return f.expected(R"(true, false or "unexpected")");
}

Result<RestartMode> read_restart_mode(const Field& f) {
  if (const auto* s = f.node->as_string()) {
    if (s->get() == "stop-start") return RestartMode::StopStart;
    if (s->get() == "rolling") return RestartMode::Rolling;
  }
  return f.expected(R"("stop-start" or "rolling")");
}

Result<LogTarget> read_log_target(const Field& f) {
  const auto* s = f.node->as_string();
  if (!s || s->get().empty()) return f.expected(R"("auto", "none", "console" or a path)");
  LogTarget target;
  // supervisord spells these AUTO and NONE; accept any case.
  std::string lower;
  for (char c : s->get()) lower += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  if (lower == "auto") return target;
  if (lower == "none") {
    target.kind = LogTarget::Kind::None;
    return target;
  }
  if (lower == "console") {
    target.kind = LogTarget::Kind::Console;
    return target;
  }
  auto path = read_path(f);
  if (!path) return path.error();
  target.kind = LogTarget::Kind::Path;
  target.path = std::move(*path);
  return target;
}

Result<std::string> read_http_address(const Field& f) {
  auto s = read_string(f);
  if (!s) return s.error();
  const auto colon = s->rfind(':');
  const std::string port = colon == std::string::npos ? std::string() : s->substr(colon + 1);
  const bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoi(port) <= 65535;
  if (!port_ok) return f.expected("an address such as \"127.0.0.1:9001\" (HOST:PORT)");
  return s;
}

bool is_loopback_http(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace konnect::config_detail
