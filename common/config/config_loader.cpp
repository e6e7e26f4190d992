// Loads the main config file and its includes into one Config (config_loader.hpp): files,
// include globs, the top level and [konnectd]; program and group tables are read by
// config_program.cpp, single values by config_values.cpp. Checks that need every file
// (duplicate names, group members) run here after the last file is read.

#include "common/config/config_loader.hpp"

#include "common/config/config_dependencies.hpp"
#include "common/config/config_sockets.hpp"
#include "common/config/config_program.hpp"
#include "common/config/config_values.hpp"
#include "common/config/supervisord_config.hpp"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace konnect {
namespace {

namespace fs = std::filesystem;
using config_detail::config_error;
using config_detail::Field;
using config_detail::FileInfo;
using config_detail::make_field;

const std::vector<std::string_view> kMainKeys{"konnectd", "program", "eventlistener", "group", "include"};
const std::vector<std::string_view> kIncludedKeys{"program", "eventlistener", "group", "include"};
const std::vector<std::string_view> kDaemonKeys{"socket",         "log_dir",           "log_file",
                                                "pid_file",       "log_level",         "log_file_maxbytes",
                                                "log_file_backups", "log_timestamps", "environment", "socket_group",
                                                "socket_readonly_group", "client_idle_timeout", "client_max_per_user", "cgroups", "include",
                                                "http", "http_username", "http_password", "metrics_auth", "supervisor_socket"};
const std::vector<std::string_view> kCgroupModes{"auto", "on", "off"};
const std::vector<std::string_view> kLogLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};

// One include pattern, absolute, and where it was written.
struct IncludePattern {
  std::string pattern;
  bool has_wildcards = false;
  Field field;
};

bool has_wildcards(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// The directory part of a pattern must match itself literally (glob(7) escapes).
std::string escape_glob(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Result<std::string> read_text(const fs::path& path) {
  auto fail = [&](int err) {
    Error e = make_error(ErrorCode::Config, std::string("cannot read: ") + std::strerror(err));
    e.file = path.string();
    return e;
  };
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return fail(errno);
  std::string text;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int err = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (err != 0) return fail(err);
  return text;
}

fs::path absolute_path(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return (ec ? p : abs).lexically_normal();
}

// The identity of a file for "already read": symlinks and ".." resolved where they exist.
fs::path identity(const fs::path& p) {
  std::error_code ec;
  fs::path id = fs::weakly_canonical(p, ec);
  return ec ? p : id;
}

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  Result<Config> load(const fs::path& file, std::optional<std::string_view> text) {
    config_.file = absolute_path(file);
    if (auto r = load_file(config_.file, text, /*is_main=*/true, nullptr); !r) return r.error();
    resolve_split_programs();
    if (auto r = check_groups(); !r) return r.error();
    if (options_.container_defaults) {
      if (!config_.daemon.log_file_given) config_.daemon.log_file = "-";
      if (!config_.daemon.pid_file_given) config_.daemon.pid_file.clear();
    }
    if (auto r = config_detail::check_dependencies(config_, config_.warnings); !r) return r.error();
    if (auto r = config_detail::check_sockets(config_); !r) return r.error();
    for (auto& program : config_.programs) {
      if (!program.log_timestamps) program.log_timestamps = config_.daemon.log_timestamps;
      for (const auto& [k, v] : config_.daemon.environment) program.environment.emplace(k, v);  // own value wins
    }
    return std::move(config_);
  }

 private:
  // `text` is the file's contents when already in memory; `included_from` names the include
  // that led here, for messages.
  Result<void> load_file(const fs::path& path, std::optional<std::string_view> text, bool is_main,
                         const Field* included_from) {
    seen_.insert(identity(path));
    config_.files_read.push_back(path);
    // FileInfo must outlive every Field pointing at it: keep them all in a node-stable list.
    files_.push_back(std::make_unique<FileInfo>(FileInfo{path.string(), path.parent_path(), options_.account_exists}));
    const FileInfo& file = *files_.back();
    std::string owned;
    if (!text) {
      if (options_.refuse_insecure_files) {
        if (auto r = check_trusted(path, included_from); !r) return r.error();
      }
      auto read = read_text(path);
      if (!read) {
        Error e = read.error();
        if (included_from) e.message += " (included from " + included_from->file->name + ":" +
                                        std::to_string(included_from->line) + ")";
        return e;
      }
      owned = std::move(*read);
      text = owned;
    }
    if (config_detail::is_supervisord_file(path) && !options_.always_toml) return read_ini(*text, file, is_main);
    toml::table root;
    try {
      root = toml::parse(*text, file.name);
    } catch (const toml::parse_error& e) {
      return config_error(file, static_cast<int>(e.source().begin.line), "",
                          "TOML syntax error: " + std::string(e.description()));
    }
    return read_root(root, file, is_main);
  }

  Result<void> read_root(const toml::table& root, const FileInfo& file, bool is_main) {
    std::vector<std::pair<Field, std::string>> programs;  // field, name
    std::vector<std::pair<Field, std::string>> listeners;
    std::vector<std::pair<Field, std::string>> groups;
    std::vector<IncludePattern> includes;
    std::optional<Field> top_include;
    for (const auto& [k, v] : root) {
      std::string key(k.str());
      Field f = make_field(v, file, key, 0);
      if (key == "konnectd") {
        if (!is_main) return f.error("[konnectd] is only allowed in the main config file");
        if (auto r = read_daemon(f, includes); !r) return r.error();
      } else if (key == "program" || key == "group" || key == "eventlistener") {
        const auto* t = v.as_table();
        if (!t) return f.expected("[" + key + ".NAME] tables");
        auto& into = key == "program" ? programs : key == "group" ? groups : listeners;
        for (const auto& [name, table] : *t) {
          into.emplace_back(f.child(table, name.str()), std::string(name.str()));
        }
      } else if (key == "include") {
        top_include = f;
      } else {
        return f.error("unknown top-level key; accepted keys: " +
                       config_detail::join(is_main ? kMainKeys : kIncludedKeys));
      }
    }
    // [konnectd] include first, then the top-level one.
    if (top_include) {
      if (auto r = read_include(*top_include, includes); !r) return r.error();
    }
    // toml++ keeps keys sorted; read tables in the order they are written.
    auto by_line = [](const auto& a, const auto& b) { return a.first.line < b.first.line; };
    // Listeners are programs (one name space), read in the order written with them.
    for (auto& l : listeners) programs.push_back(std::move(l));
    std::stable_sort(programs.begin(), programs.end(), by_line);
    std::stable_sort(groups.begin(), groups.end(), by_line);
    for (const auto& [f, name] : programs) {
      if (auto r = add_program(f, name); !r) return r.error();
    }
    for (const auto& [f, name] : groups) {
      if (auto r = add_group(f, name); !r) return r.error();
    }
    for (const auto& include : includes) {
      if (auto r = follow_include(include); !r) return r.error();
    }
    return {};
  }

  Result<void> read_daemon(const Field& f, std::vector<IncludePattern>& includes) {
    const auto* table = f.node->as_table();
    if (!table) return f.expected("a [konnectd] table");
    DaemonConfig& d = config_.daemon;
    bool log_file_set = false;
    std::optional<Field> http_field;
    for (const auto& [k, v] : *table) {
      std::string key(k.str());
      Field value = f.child(v, key);
      Result<void> r;
      if (key == "socket") {
        r = assign_path(value, d.socket);
      } else if (key == "log_dir") {
        r = assign_path(value, d.log_dir);
      } else if (key == "pid_file") {
        d.pid_file_given = true;
        if (const auto* s = v.as_string(); s && s->get().empty()) {
          d.pid_file.clear();  // no pid file (a container's default, as konnectctl config writes it)
        } else {
          r = assign_path(value, d.pid_file);
        }
      } else if (key == "log_file") {
        log_file_set = true;
        d.log_file_given = true;
        if (const auto* s = v.as_string(); s && s->get() == "-") {
          d.log_file = "-";
        } else {
          r = assign_path(value, d.log_file);
        }
      } else if (key == "log_level") {
        r = read_log_level(value, d.log_level);
      } else if (key == "log_file_maxbytes") {
        r = assign_value(config_detail::read_size(value), d.log_file_maxbytes);
      } else if (key == "log_file_backups") {
        r = assign_value(config_detail::read_int(value, 0, 1000), d.log_file_backups);
      } else if (key == "log_timestamps") {
        r = assign_value(config_detail::read_bool(value), d.log_timestamps);
      } else if (key == "environment") {
        r = assign_value(config_detail::read_environment(value), d.environment);
      } else if (key == "socket_group") {
        r = assign_value(config_detail::read_group(value), d.socket_group);
      } else if (key == "socket_readonly_group") {
        r = assign_value(config_detail::read_group(value), d.socket_readonly_group);
      } else if (key == "client_idle_timeout") {
        r = assign_value(config_detail::read_duration(value), d.client_idle_timeout);
      } else if (key == "client_max_per_user") {
        r = assign_value(config_detail::read_int(value, 1, 256), d.client_max_per_user);
      } else if (key == "cgroups") {
        r = read_cgroups(value, d.cgroups);
      } else if (key == "include") {
        r = read_include(value, includes);
      } else if (key == "http") {
        r = assign_value(config_detail::read_http_address(value), d.http);
        http_field = value;
      } else if (key == "http_username") {
        r = assign_value(config_detail::read_string(value), d.http_username);
      } else if (key == "http_password") {
        r = assign_value(config_detail::read_string(value), d.http_password);
      } else if (key == "metrics_auth") {
        r = assign_value(config_detail::read_bool(value), d.metrics_auth);
      } else if (key == "supervisor_socket") {
        r = assign_path(value, d.supervisor_socket);
      } else {
        r = value.error("unknown key; accepted keys: " + config_detail::join(kDaemonKeys));
      }
      if (!r) return r.error();
    }
    if (table->contains("log_dir") && !log_file_set) d.log_file = d.log_dir / "konnectd.log";
    if (http_field && !config_detail::is_loopback_http(d.http) && (d.http_username.empty() || d.http_password.empty())) {
      return http_field->error("'" + d.http + "' is not a loopback address: anyone who reaches it could run "
                               "every command, so http_username and http_password are required (or use "
                               "127.0.0.1:PORT)");
    }
    if (d.http_username.empty() != d.http_password.empty()) {
      return f.error("http_username and http_password go together: set both, or neither");
    }
    return {};
  }


  template <class T, class U>
  static Result<void> assign_value(Result<T> value, U& out) {
    if (!value) return value.error();
    out = std::move(*value);
    return {};
  }

  static Result<void> assign_path(const Field& f, fs::path& out) {
    auto p = config_detail::read_path(f);
    if (!p) return p.error();
    out = std::move(*p);
    return {};
  }

  static Result<void> read_log_level(const Field& f, std::string& out) {
    if (const auto* s = f.node->as_string()) {
      std::string level;
      for (char c : s->get()) level += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
      if (std::find(kLogLevels.begin(), kLogLevels.end(), level) != kLogLevels.end()) {
        out = level;
        return {};
      }
    }
    return f.expected("one of " + config_detail::join(kLogLevels));
  }

  static Result<void> read_cgroups(const Field& f, CgroupMode& out) {
    const auto* s = f.node->as_string();
    const std::string word = s ? s->get() : "";
    if (word == "auto") {
      out = CgroupMode::Auto;
    } else if (word == "on") {
      out = CgroupMode::On;
    } else if (word == "off") {
      out = CgroupMode::Off;
    } else {
      return f.expected("one of " + config_detail::join(kCgroupModes));
    }
    return {};
  }

  static Result<void> read_include(const Field& f, std::vector<IncludePattern>& out) {
    auto patterns = config_detail::read_string_list(f);
    if (!patterns) return patterns.error();
    for (const auto& pattern : *patterns) {
      if (pattern.empty()) return f.expected("non-empty glob patterns");
      fs::path p(pattern);
      IncludePattern include{"", has_wildcards(pattern), f};
      if (!include.has_wildcards) {
        include.pattern = (p.is_relative() ? f.file->dir / p : p).lexically_normal().string();
      } else if (p.is_relative()) {
        include.pattern = escape_glob(f.file->dir.string()) + "/" + pattern;
      } else {
        include.pattern = pattern;
      }
      out.push_back(std::move(include));
    }
    return {};
  }

  Result<void> follow_include(const IncludePattern& include) {
    if (!options_.follow_includes) return {};
    std::vector<fs::path> matches;
    if (!include.has_wildcards) {
      std::error_code ec;
      if (!fs::exists(include.pattern, ec)) {
        return include.field.error("no such file: " + include.pattern +
                                   " (a pattern without wildcards must name an existing file)");
      }
      matches.emplace_back(include.pattern);
    } else {
      glob_t g{};
      int rc = ::glob(include.pattern.c_str(), 0, nullptr, &g);
      if (rc == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
          std::error_code ec;
          // A directory that happens to match (conf.d/*) is not a config file.
          if (!fs::is_directory(g.gl_pathv[i], ec)) matches.emplace_back(g.gl_pathv[i]);
        }
      }
      globfree(&g);
      if (rc != 0 && rc != GLOB_NOMATCH) {
        return include.field.error("cannot expand include pattern " + include.pattern);
      }
      std::sort(matches.begin(), matches.end());
    }
    for (const auto& match : matches) {
      fs::path path = absolute_path(match);
      if (seen_.count(identity(path))) continue;
      if (auto r = load_file(path, std::nullopt, /*is_main=*/false, &include.field); !r) return r.error();
    }
    return {};
  }

  // The file and its directory may be written by root alone (LoadOptions).
  static Result<void> check_trusted(const fs::path& path, const Field* included_from) {
    for (const fs::path& p : {path, path.parent_path()}) {
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) continue;  // reading it reports the problem
      if (st.st_uid == 0 && (st.st_mode & 022) == 0) continue;
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      Error e = make_error(ErrorCode::Config,
                           std::string(p == path ? "the file" : "its directory " + p.string()) + " (mode " + mode +
                               ", owner uid " + std::to_string(st.st_uid) +
                               ") may be written by others than root, and konnectd runs as root what it says: "
                               "chown root and chmod go-w, or start konnectd with --allow-insecure-config");
      e.file = path.string();
      if (included_from) e.message += " (included from " + included_from->file->name + ":" + std::to_string(included_from->line) + ")";
      return e;
    }
    return {};
  }

  // A supervisord .conf/.ini file: its programs, groups and includes join the others.
  Result<void> read_ini(std::string_view text, const FileInfo& file, bool is_main) {
    auto ini = config_detail::read_supervisord_file(text, file, is_main, config_.daemon);
    if (!ini) return ini.error();
    static const toml::value<std::string> kNoNode{""};
    auto field = [&](std::string key, int line) { return Field{&kNoNode, &file, std::move(key), line}; };
    for (auto& program : ini->programs) {
      const Field f = field("[program:" + program.name + "]", program.source_line);
      if (auto r = insert_program(f, std::move(program)); !r) return r.error();
    }
    for (auto& group : ini->groups) {
      for (const auto& other : config_.groups) {
        if (other.name == group.name) {
          return field("[group:" + group.name + "]", group.source_line)
              .error("group '" + group.name + "' is already defined at " + other.source_file + ":" +
                     std::to_string(other.source_line));
        }
      }
      config_.groups.push_back(std::move(group));
    }
    for (auto& [name, processes] : ini->split) split_[name] = std::move(processes);
    for (auto& w : ini->warnings) config_.warnings.push_back(std::move(w));
    for (const auto& include : ini->includes) {
      IncludePattern pattern{include.pattern, has_wildcards(include.pattern), field("[include] files", include.line)};
      if (auto r = follow_include(pattern); !r) return r.error();
    }
    return {};
  }

  // supervisord programs whose processes became programs of their own (supervisord_config.hpp):
  // a [group] that lists the program lists them instead; otherwise they get a group named after it.
  void resolve_split_programs() {
    std::set<std::string> grouped;
    for (auto& g : config_.groups) {
      std::vector<std::string> members;
      for (const auto& m : g.programs) {
        auto it = split_.find(m);
        if (it == split_.end()) {
          members.push_back(m);
          continue;
        }
        members.insert(members.end(), it->second.begin(), it->second.end());
        grouped.insert(m);
      }
      g.programs = std::move(members);
    }
    for (const auto& [name, processes] : split_) {
      if (grouped.count(name)) continue;
      const ProgramConfig& first = config_.programs[program_index_.at(processes.front())];
      config_.groups.push_back(GroupConfig{name, processes, first.priority, first.source_file, first.source_line});
    }
  }

  Result<void> add_program(const Field& f, const std::string& name) {
    auto program = config_detail::read_program(f, name, f.key.rfind("eventlistener.", 0) == 0);
    if (!program) return program.error();
    return insert_program(f, std::move(*program));
  }

  Result<void> insert_program(const Field& f, ProgramConfig program) {
    const std::string name = program.name;
    if (auto it = program_index_.find(name); it != program_index_.end()) {
      const ProgramConfig& first = config_.programs[it->second];
      return f.error("program '" + name + "' is already defined at " + first.source_file + ":" +
                     std::to_string(first.source_line));
    }
    program_index_.emplace(name, config_.programs.size());
    config_.programs.push_back(std::move(program));
    return {};
  }

  Result<void> add_group(const Field& f, const std::string& name) {
    auto group = config_detail::read_group_table(f, name);
    if (!group) return group.error();
    for (const auto& other : config_.groups) {
      if (other.name == name) {
        return f.error("group '" + name + "' is already defined at " + other.source_file + ":" +
                       std::to_string(other.source_line));
      }
    }
    config_.groups.push_back(std::move(*group));
    return {};
  }

  // Needs every file read: groups may name programs from later includes.
  Result<void> check_groups() const {
    std::unordered_map<std::string, const GroupConfig*> owner;  // program -> its group
    for (const auto& g : config_.groups) {
      auto fail = [&](std::string key, std::string message) -> Result<void> {
        Error e = make_error(ErrorCode::Config, std::move(message));
        e.file = g.source_file;
        e.line = g.source_line;
        e.key = std::move(key);
        return e;
      };
      std::string key = "group." + g.name;
      for (const auto& member : g.programs) {
        if (!program_index_.count(member)) {
          return fail(key + ".programs", "group '" + g.name + "' names unknown program '" + member +
                                             "'; expected names of [program.NAME] tables");
        }
        auto [it, inserted] = owner.emplace(member, &g);
        if (!inserted) {
          return fail(key + ".programs", "program '" + member + "' is already in group '" + it->second->name +
                                             "' (" + it->second->source_file + ":" +
                                             std::to_string(it->second->source_line) +
                                             "); a program may be in at most one group");
        }
      }
      if (program_index_.count(g.name) &&
          std::find(g.programs.begin(), g.programs.end(), g.name) == g.programs.end()) {
        return fail(key, "group name '" + g.name +
                             "' is the name of a program that is not in the group; rename the group");
      }
    }
    return {};
  }

  Config config_;
  std::vector<std::unique_ptr<FileInfo>> files_;
  std::set<fs::path> seen_;
  std::unordered_map<std::string, std::size_t> program_index_;
  std::map<std::string, std::vector<std::string>> split_;
  LoadOptions options_;
};

}  // namespace

Result<Config> load_config_with(const fs::path& file, const LoadOptions& options) {
  return Loader(options).load(file, std::nullopt);
}

Result<Config> load_config_text(std::string_view text, const fs::path& file, const LoadOptions& options) {
  return Loader(options).load(file, text);
}

}  // namespace konnect
