#include "common/config/supervisord_config.hpp"

#include "common/config/config_program.hpp"
#include "common/config/ini_file.hpp"
#include "common/config/supervisord_values.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>

extern char** environ;

namespace konnect::config_detail {
namespace {

namespace fs = std::filesystem;

std::string host_node_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::map<std::string, Expansion> base_expansions(const FileInfo& file) {
  std::map<std::string, Expansion> vars;
  vars["here"] = {file.dir.string(), false};
  vars["host_node_name"] = {host_node_name(), false};
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) vars["ENV_" + std::string(*e, static_cast<std::size_t>(eq - *e))] = {eq + 1, false};
  }
  return vars;
}

class FileReader {
 public:
  FileReader(const FileInfo& file, bool is_main, DaemonConfig& daemon)
      : file_(file), is_main_(is_main), daemon_(daemon), base_(base_expansions(file)) {}

  Result<IniContents> read(std::string_view text) {
    auto sections = parse_ini(text, file_.name);
    if (!sections) return sections.error();
    for (const auto& section : *sections) {
      if (auto r = read_section(section); !r) return r.error();
    }
    return std::move(out_);
  }

 private:
  void warn(int line, std::string key, std::string message) {
    out_.warnings.push_back(config_error(file_, line, std::move(key), std::move(message)));
  }

  Result<std::string> expanded(const IniSection& s, const IniOption& o, const std::map<std::string, Expansion>& vars) {
    auto v = expand_percent(o.value, vars);
    if (!v) return config_error(file_, o.line, key_of(s, o), v.error().message);
    return *v;
  }

  static std::string key_of(const IniSection& s, const IniOption& o) { return "[" + s.name + "] " + o.key; }

  Result<void> read_section(const IniSection& s) {
    const auto colon = s.name.find(':');
    const std::string kind = colon == std::string::npos ? s.name : s.name.substr(0, colon);
    const std::string name = colon == std::string::npos ? "" : ini_trim(s.name.substr(colon + 1));
    if (kind == "program" && !name.empty()) return read_program(s, name, false);
    if (kind == "eventlistener" && !name.empty()) return read_program(s, name, true);
    if (kind == "group" && !name.empty()) return read_group(s, name);
    if (s.name == "include") return read_include(s);
    if (s.name == "supervisord" || s.name == "unix_http_server") {
      if (!is_main_) {
        warn(s.line, "[" + s.name + "]", "only read in the main config file; this section is ignored");
        return {};
      }
      return s.name == "supervisord" ? read_supervisord(s) : read_unix_http_server(s);
    }
    if (s.name == "inet_http_server") {
      if (!is_main_) {
        warn(s.line, "[" + s.name + "]", "only read in the main config file; this section is ignored");
        return {};
      }
      return read_inet_http_server(s);
    }
    if (s.name == "rpcinterface:supervisor") return {};  // supervisorctl's plumbing; konnectd has its own socket
    if (s.name == "supervisorctl") {
      warn(s.line, "[supervisorctl]", "supervisorctl's settings are not read; konnectctl finds the socket in [unix_http_server] file");
      return {};
    }
    const std::string why = kind == "fcgi-program"  ? "FastCGI programs are not supported"
                                                      : "not a section konnect knows";
    warn(s.line, "[" + s.name + "]", why + "; this section is ignored");
    return {};
  }

  Result<void> read_include(const IniSection& s) {
    if (!s.find("files")) return config_error(file_, s.line, "[include] files", "missing required option; expected glob patterns");
    for (const auto& o : s.options) {
      if (o.key != "files") {
        warn(o.line, key_of(s, o), "unknown option; [include] takes files");
        continue;
      }
      auto v = expanded(s, o, base_);
      if (!v) return v.error();
      std::string words = *v;
      for (char& c : words) {
        if (std::isspace(static_cast<unsigned char>(c))) c = ' ';
      }
      for (const auto& pattern : split_list(words, ' ')) {
        fs::path p(pattern);
        out_.includes.push_back({(p.is_relative() ? file_.dir / p : p).lexically_normal().string(), o.line});
      }
    }
    return {};
  }

  Result<void> read_group(const IniSection& s, const std::string& name) {
    if (!is_valid_name(name)) {
      return config_error(file_, s.line, "[" + s.name + "]",
                          "invalid group name '" + name + "'; names may contain only " + std::string(kNameChars));
    }
    GroupConfig g;
    g.name = name;
    g.source_file = file_.name;
    g.source_line = s.line;
    for (const auto& o : s.options) {
      auto v = expanded(s, o, base_);
      if (!v) return v.error();
      if (o.key == "programs") {
        g.programs = split_list(*v, ',');
      } else if (o.key == "priority") {
        auto node = to_node(Kind::Int, *v);
        auto n = read_int(make_field(*node, file_, key_of(s, o), o.line));
        if (!n) return n.error();
        g.priority = static_cast<int>(*n);
      } else {
        warn(o.line, key_of(s, o), "unknown option; [group:x] takes programs and priority");
      }
    }
    if (g.programs.empty()) return config_error(file_, s.line, "[" + s.name + "] programs", "missing required option; expected a comma-separated list of program names");
    out_.groups.push_back(std::move(g));
    return {};
  }

  // One option onto a ProgramConfig through the konnect reader of its key.
  Result<void> apply(const IniSection& s, const IniOption& o, const std::string& value, ProgramConfig& p) {
    const ProgramOption* option = find_option(o.key);
    if (option->kind == Kind::Environment && !ini_environment(value)) {
      return config_error(file_, o.line, key_of(s, o), "expected KEY=value pairs separated by commas, such as A=\"1\",B=\"two\"; got \"" + value + "\"");
    }
    auto node = to_node(option->kind, value);
    auto r = set_program_key(option->konnect, make_field(*node, file_, key_of(s, o), o.line), p);
    return r ? *r : Result<void>{};
  }

  Result<void> read_program(const IniSection& s, const std::string& name, bool listener) {
    if (!is_valid_name(name)) {
      return config_error(file_, s.line, "[" + s.name + "]",
                          "invalid program name '" + name + "'; names may contain only " + std::string(kNameChars));
    }
    std::map<std::string, Expansion> vars = base_;
    vars["program_name"] = {name, false};
    vars["group_name"] = {name, false};
    auto number = [&](const char* key, std::int64_t fallback, std::int64_t min) -> Result<std::int64_t> {
      const IniOption* o = s.find(key);
      if (!o) return fallback;
      auto v = expanded(s, *o, vars);
      if (!v) return v.error();
      auto node = to_node(Kind::Int, *v);
      return read_int(make_field(*node, file_, key_of(s, *o), o->line), min, 10000);
    };
    auto numprocs = number("numprocs", 1, 1);
    if (!numprocs) return numprocs.error();
    auto start = number("numprocs_start", 0, 0);
    if (!start) return start.error();
    vars["numprocs"] = {std::to_string(*numprocs), true};
    const IniOption* process_name = s.find("process_name");
    const std::string pattern = process_name ? process_name->value : "%(program_name)s";
    if (*numprocs > 1 && pattern.find("%(process_num)") == std::string::npos) {
      return config_error(file_, process_name ? process_name->line : s.line, "[" + s.name + "] process_name",
                          "%(process_num) must be present within process_name when numprocs > 1");
    }
    // Every process's expanded options; one ProgramConfig if they differ only in the name.
    struct Instance {
      std::string name;
      std::vector<std::string> values;  // per option of s.options
    };
    std::vector<Instance> instances;
    for (std::int64_t i = *start; i < *start + *numprocs; ++i) {
      vars["process_num"] = {std::to_string(i), true};
      // supervisord: the program's own environment is %(ENV_X)s too in its other options.
      std::map<std::string, Expansion> own = vars;
      if (const IniOption* env = s.find("environment")) {
        auto v = expanded(s, *env, vars);
        if (!v) return v.error();
        if (auto pairs = ini_environment(*v)) {
          for (const auto& [k, val] : *pairs) own["ENV_" + k] = {val, false};
        }
      }
      Instance inst;
      for (const auto& o : s.options) {
        auto v = expanded(s, o, o.key == "environment" ? vars : own);
        if (!v) return v.error();
        if (o.key == "process_name") inst.name = *v;
        inst.values.push_back(std::move(*v));
      }
      if (!process_name) inst.name = name;
      instances.push_back(std::move(inst));
    }
    bool same = true;
    for (std::size_t i = 0; i < instances.size(); ++i) {
      char expected[32];
      std::snprintf(expected, sizeof expected, "_%02d", static_cast<int>(*start + static_cast<std::int64_t>(i)));
      const std::string konnect_name = *numprocs == 1 ? name : name + expected;
      same = same && instances[i].name == konnect_name;
      for (std::size_t k = 0; k < s.options.size(); ++k) {
        if (s.options[k].key != "process_name" && instances[i].values[k] != instances[0].values[k]) same = false;
      }
    }
    const std::size_t builds = same ? 1 : instances.size();
    for (std::size_t i = 0; i < builds; ++i) {
      ProgramConfig p;
      p.name = same ? name : instances[i].name;
      if (!is_valid_name(p.name)) {
        return config_error(file_, process_name ? process_name->line : s.line, "[" + s.name + "] process_name",
                            "invalid process name '" + p.name + "'; names may contain only " + std::string(kNameChars));
      }
      p.source_file = file_.name;
      p.source_line = s.line;
      if (listener) {
        p.listener = ListenerConfig{};
        p.priority = -1;  // supervisord's default for listeners: up first, down last
      }
      if (same) {
        p.numprocs = static_cast<int>(*numprocs);
        p.numprocs_start = static_cast<int>(*start);
      }
      bool has_command = false;
      for (std::size_t k = 0; k < s.options.size(); ++k) {
        const IniOption& o = s.options[k];
        const std::string& value = instances[i].values[k];
        if (o.key == "numprocs" || o.key == "numprocs_start" || o.key == "process_name") continue;
        if (listener) {
          auto node = to_node(o.key == "buffer_size" ? Kind::Int : Kind::String, value);
          if (auto r = set_listener_key(o.key, make_field(*node, file_, key_of(s, o), o.line), *p.listener)) {
            if (!*r) return r->error();
            continue;
          }
          if (o.key == "stdout_logfile") {
            if (i == 0) warn(o.line, key_of(s, o), "an event listener's stdout is its answers to konnectd, not logged; ignored");
            continue;
          }
        }
        if (find_option(o.key) == nullptr) {
          if (i == 0) {
            const bool known = is_unsupported_program_option(o.key);
            warn(o.line, key_of(s, o), known ? "not implemented by konnect; ignored" : "unknown option; ignored");
          }
          continue;
        }
        if (o.key == "stderr_logfile" && p.redirect_stderr) continue;  // supervisord: stderr goes to stdout
        if ((o.key == "stdout_logfile" || o.key == "stderr_logfile") && ini_lower(value) == "syslog" && i == 0) {
          warn(o.line, key_of(s, o), "syslog is not supported; the output is discarded");
        }
        if (o.key == "command") has_command = true;
        if (auto r = apply(s, o, value, p); !r) return r.error();
      }
      if (p.redirect_stderr) {
        if (const IniOption* o = s.find("stderr_logfile"); o && i == 0) {
          warn(o->line, key_of(s, *o), "ignored with redirect_stderr = true: stderr goes to stdout_logfile");
        }
        p.stderr_log = LogTarget{};
      }
      if (!has_command) return config_error(file_, s.line, "[" + s.name + "] command", "missing required option");
      if (listener) {
        if (p.listener->events.empty()) {
          return config_error(file_, s.line, "[" + s.name + "] events",
                              "missing required option; expected event types such as PROCESS_STATE,TICK_60");
        }
        if (p.redirect_stderr) {
          return config_error(file_, s.find("redirect_stderr")->line, "[" + s.name + "] redirect_stderr",
                              "an event listener's stdout is its answers to konnectd; its stderr cannot go there");
        }
        p.stdout_log = LogTarget{LogTarget::Kind::None, {}};
      }
      out_.programs.push_back(std::move(p));
    }
    if (!same) {
      std::vector<std::string> names;
      for (const auto& inst : instances) names.push_back(inst.name);
      out_.split[name] = std::move(names);
    }
    return {};
  }

  Result<void> read_supervisord(const IniSection& s) {
    bool log_file_set = false;
    for (const auto& o : s.options) {
      auto v = expanded(s, o, base_);
      if (!v) return v.error();
      auto node = to_node(o.key == "logfile_maxbytes" || o.key == "logfile_backups" ? Kind::Int : Kind::String, *v);
      const Field f = make_field(*node, file_, key_of(s, o), o.line);
      Result<void> r;
      auto path = [&](fs::path& out) -> Result<void> {
        auto p = read_path(f);
        if (!p) return p.error();
        out = *p;
        return {};
      };
      if (o.key == "logfile") {
        log_file_set = true;
        daemon_.log_file_given = true;
        if (ini_lower(*v) == "syslog") {
          warn(o.line, key_of(s, o), "syslog is not supported; konnectd logs to its default file");
        } else {
          r = path(daemon_.log_file);
        }
      } else if (o.key == "pidfile") {
        daemon_.pid_file_given = true;
        r = path(daemon_.pid_file);
      } else if (o.key == "childlogdir") {
        r = path(daemon_.log_dir);
      } else if (o.key == "logfile_maxbytes") {
        auto n = read_size(f);
        if (!n) return n.error();
        daemon_.log_file_maxbytes = *n;
      } else if (o.key == "logfile_backups") {
        auto n = read_int(f, 0, 1000);
        if (!n) return n.error();
        daemon_.log_file_backups = static_cast<int>(*n);
      } else if (o.key == "loglevel") {
        const std::string level = ini_lower(*v);
        static const std::map<std::string, std::string> kLevels{{"critical", "critical"}, {"error", "error"},
                                                                {"warn", "warn"},         {"info", "info"},
                                                                {"debug", "debug"},       {"trace", "trace"},
                                                                {"blather", "trace"}};
        auto it = kLevels.find(level);
        if (it == kLevels.end()) return f.expected("one of critical, error, warn, info, debug, trace, blather");
        daemon_.log_level = it->second;
      } else if (o.key == "environment") {
        auto env = ini_environment(*v);
        if (!env) return f.error("expected KEY=value pairs separated by commas, such as A=\"1\",B=\"two\"");
        daemon_.environment = *env;
      } else if (o.key == "nodaemon") {
        if (ini_bool(*v) != true) warn(o.line, key_of(s, o), "konnectd always runs in the foreground (systemd starts it)");
      } else {
        warn(o.line, key_of(s, o), "not implemented by konnect; ignored");
      }
      if (!r) return r.error();
    }
    if (!log_file_set && s.find("childlogdir")) daemon_.log_file = daemon_.log_dir / "konnectd.log";
    return {};
  }

  Result<void> read_unix_http_server(const IniSection& s) {
    for (const auto& o : s.options) {
      auto v = expanded(s, o, base_);
      if (!v) return v.error();
      if (o.key == "file") {
        toml::value<std::string> node(*v);
        auto p = read_path(make_field(node, file_, key_of(s, o), o.line));
        if (!p) return p.error();
        daemon_.socket = *p;
      } else {
        warn(o.line, key_of(s, o), "not implemented by konnect; ignored (the socket is mode 0660)");
      }
    }
    return {};
  }

  // [inet_http_server] port, username, password: [konnectd] http and its credentials (SPEC.md
  // "HTTP"). A port others can reach needs both credentials, as in TOML.
  Result<void> read_inet_http_server(const IniSection& s) {
    int port_line = s.line;
    for (const auto& o : s.options) {
      auto v = expanded(s, o, base_);
      if (!v) return v.error();
      if (o.key == "port") {
        // supervisord takes "9001" and ":9001" for every address too.
        std::string address = v->find(':') == std::string::npos ? "*:" + *v : *v;
        toml::value<std::string> port_node(address);
        auto a = config_detail::read_http_address(make_field(port_node, file_, key_of(s, o), o.line));
        if (!a) return a.error();
        daemon_.http = *a;
        port_line = o.line;
      } else if (o.key == "username") {
        daemon_.http_username = *v;
      } else if (o.key == "password") {
        daemon_.http_password = *v;
      } else {
        warn(o.line, key_of(s, o), "not implemented by konnect; ignored");
      }
    }
    if (daemon_.http.empty()) return config_error(file_, s.line, "[inet_http_server] port", "missing required option; expected HOST:PORT");
    if (!config_detail::is_loopback_http(daemon_.http) && (daemon_.http_username.empty() || daemon_.http_password.empty())) {
      return config_error(file_, port_line, "[inet_http_server] port",
                          "'" + daemon_.http + "' is not a loopback address: anyone who reaches it could run every "
                          "command, so username and password are required (or use 127.0.0.1:PORT)");
    }
    return {};
  }

  const FileInfo& file_;
  bool is_main_;
  DaemonConfig& daemon_;
  std::map<std::string, Expansion> base_;
  IniContents out_;
};

}  // namespace

bool is_supervisord_file(const fs::path& path) {
  const std::string ext = ini_lower(path.extension().string());
  return ext == ".conf" || ext == ".ini";
}

Result<std::string> expand_percent(std::string_view text, const std::map<std::string, Expansion>& vars) {
  constexpr std::size_t kMaxWidth = 64;  // "%(process_num)02d" needs 2; a huge one is a typo
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '(') {
      return make_error(ErrorCode::Config, "a '%' must be '%%' or start %(name)s");
    }
    const auto close = text.find(')', i + 2);
    if (close == std::string_view::npos) return make_error(ErrorCode::Config, "unclosed %( in a value");
    const std::string name(text.substr(i + 2, close - i - 2));
    std::size_t j = close + 1;
    bool zero = false, left = false;
    while (j < text.size() && (text[j] == '0' || text[j] == '-')) {
      (text[j] == '0' ? zero : left) = true;
      ++j;
    }
    std::size_t width = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9' && width <= kMaxWidth) {
      width = width * 10 + static_cast<std::size_t>(text[j++] - '0');
    }
    if (width > kMaxWidth) return make_error(ErrorCode::Config, "a format width over " + std::to_string(kMaxWidth));
    if (j >= text.size() || (text[j] != 's' && text[j] != 'd' && text[j] != 'i' && text[j] != 'r')) {
      return make_error(ErrorCode::Config, "%(" + name + ") must be followed by a format such as s, d or 02d");
    }
    auto it = vars.find(name);
    if (it == vars.end()) {
      return make_error(ErrorCode::Config, "%(" + name + ") cannot be expanded; known names: program_name, process_num, "
                                           "group_name, numprocs, here, host_node_name, ENV_X");
    }
    if ((text[j] == 'd' || text[j] == 'i') && !it->second.numeric) {
      return make_error(ErrorCode::Config, "%(" + name + ") is not a number; use %(" + name + ")s");
    }
    std::string value = it->second.value;
    if (value.size() < width) {
      const std::size_t pad = width - value.size();
      if (left) {
        value.append(pad, ' ');
      } else {
        value.insert(0, pad, zero && text[j] != 's' ? '0' : ' ');
      }
    }
    out += value;
    i = j;
  }
  return out;
}

Result<IniContents> read_supervisord_file(std::string_view text, const FileInfo& file, bool is_main,
                                          DaemonConfig& daemon) {
  return FileReader(file, is_main, daemon).read(text);
}

}  // namespace konnect::config_detail
