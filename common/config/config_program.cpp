// [program.NAME] and [group.NAME] tables -> ProgramConfig / GroupConfig. Each accepted key
// has one entry in a table below; any other key is an error listing the accepted ones.

#include "common/config/config_program.hpp"

#include "common/config/config_checks.hpp"
#include "common/config/config_dependencies.hpp"
#include "common/config/config_sockets.hpp"
#include "common/config/units.hpp"

#include <utility>

namespace konnect::config_detail {
namespace {

template <class T, class U>
Result<void> assign(Result<T> value, U& out) {
  if (!value) return value.error();
  out = static_cast<U>(std::move(*value));
  return {};
}

using ProgramSetter = Result<void> (*)(const Field&, ProgramConfig&);

struct ProgramKey {
  std::string_view name;
  ProgramSetter set;
};

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

const ProgramKey kProgramKeys[] = {
    {"command", [](const Field& f, ProgramConfig& p) { return assign(read_command(f), p.command); }},
    {"directory", [](const Field& f, ProgramConfig& p) { return assign(read_path(f), p.directory); }},
    {"user", [](const Field& f, ProgramConfig& p) { return assign(read_user(f), p.user); }},
    {"group", [](const Field& f, ProgramConfig& p) { return assign(read_group(f), p.group); }},
    {"umask", [](const Field& f, ProgramConfig& p) { return assign(read_umask(f), p.umask); }},
    {"environment",
     [](const Field& f, ProgramConfig& p) { return assign(read_environment(f), p.environment); }},
    {"numprocs", [](const Field& f, ProgramConfig& p) { return assign(read_int(f, 1, 10000), p.numprocs); }},
    {"numprocs_start",
     [](const Field& f, ProgramConfig& p) { return assign(read_int(f, 0, kIntMax), p.numprocs_start); }},
    {"priority", [](const Field& f, ProgramConfig& p) { return assign(read_int(f), p.priority); }},
    {"autostart", [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.autostart); }},
    {"autorestart",
     [](const Field& f, ProgramConfig& p) { return assign(read_autorestart(f), p.autorestart); }},
    {"exitcodes", [](const Field& f, ProgramConfig& p) { return assign(read_exitcodes(f), p.exitcodes); }},
    {"startsecs", [](const Field& f, ProgramConfig& p) { return assign(read_duration(f), p.startsecs); }},
    {"startretries",
     [](const Field& f, ProgramConfig& p) { return assign(read_int(f, -1, kIntMax), p.startretries); }},
    {"backoff_initial",
     [](const Field& f, ProgramConfig& p) { return assign(read_duration(f), p.backoff_initial); }},
    {"backoff_max", [](const Field& f, ProgramConfig& p) { return assign(read_duration(f), p.backoff_max); }},
    {"backoff_reset",
     [](const Field& f, ProgramConfig& p) { return assign(read_duration(f), p.backoff_reset); }},
    {"stopsignal", [](const Field& f, ProgramConfig& p) { return assign(read_signal(f), p.stopsignal); }},
    {"stopwaitsecs",
     [](const Field& f, ProgramConfig& p) { return assign(read_duration(f), p.stopwaitsecs); }},
    {"stop_prelude",
     [](const Field& f, ProgramConfig& p) { return assign(read_stop_prelude(f), p.stop_prelude); }},
    {"stopasgroup", [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.stopasgroup); }},
    {"killasgroup", [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.killasgroup); }},
    {"stdout_events_enabled",
     [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.stdout_events_enabled); }},
    {"stderr_events_enabled",
     [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.stderr_events_enabled); }},
    {"shutdown_on_exit",
     [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.shutdown_on_exit); }},
    {"redirect_stderr",
     [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.redirect_stderr); }},
    {"stdout_log", [](const Field& f, ProgramConfig& p) { return assign(read_log_target(f), p.stdout_log); }},
    {"stderr_log", [](const Field& f, ProgramConfig& p) { return assign(read_log_target(f), p.stderr_log); }},
    {"stdout_log_maxbytes",
     [](const Field& f, ProgramConfig& p) { return assign(read_size(f), p.stdout_log_maxbytes); }},
    {"stderr_log_maxbytes",
     [](const Field& f, ProgramConfig& p) { return assign(read_size(f), p.stderr_log_maxbytes); }},
    {"stdout_log_backups",
     [](const Field& f, ProgramConfig& p) { return assign(read_int(f, 0, kIntMax), p.stdout_log_backups); }},
    {"stderr_log_backups",
     [](const Field& f, ProgramConfig& p) { return assign(read_int(f, 0, kIntMax), p.stderr_log_backups); }},
    {"log_timestamps", [](const Field& f, ProgramConfig& p) { return assign(read_bool(f), p.log_timestamps); }},
    {"ready", [](const Field& f, ProgramConfig& p) { return assign(read_ready(f), p.ready); }},
    {"health", [](const Field& f, ProgramConfig& p) { return assign(read_health(f), p.health); }},
    {"watchdog", [](const Field& f, ProgramConfig& p) { return assign(read_watchdog(f), p.watchdog); }},
    {"depends_on",
     [](const Field& f, ProgramConfig& p) {
       p.depends_on_line = f.line;
       return assign(read_depends_on(f), p.depends_on);
     }},
    {"restart", [](const Field& f, ProgramConfig& p) { return assign(read_restart_mode(f), p.restart); }},
    {"sockets",
     [](const Field& f, ProgramConfig& p) {
       p.sockets_line = f.line;
       return assign(read_sockets(f, p.name), p.sockets);
     }},
};

std::string accepted_program_keys() {
  std::vector<std::string_view> names;
  for (const auto& k : kProgramKeys) names.push_back(k.name);
  return join(names);
}

const ProgramKey* find_program_key(std::string_view name) {
  for (const auto& k : kProgramKeys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

}  // namespace

Result<ProgramConfig> read_program(const Field& f, const std::string& name, bool listener) {
  if (!is_valid_name(name)) {
    return f.error("invalid program name '" + name + "'; names may contain only " + std::string(kNameChars));
  }
  const auto* table = f.node->as_table();
  if (!table) return f.expected("a [" + f.key + "] table");
  ProgramConfig p;
  p.name = name;
  p.source_file = f.file->name;
  p.source_line = f.line;
  if (listener) {
    p.listener = ListenerConfig{};
    p.priority = -1;  // supervisord's default for listeners: up first, down last
  }
  for (const auto& [k, v] : *table) {
    Field value = f.child(v, k.str());
    if (listener) {
      if (auto r = set_listener_key(k.str(), value, *p.listener)) {
        if (!*r) return r->error();
        continue;
      }
    }
    const ProgramKey* key = find_program_key(k.str());
    if (!key) return value.error("unknown key; accepted keys: " + accepted_program_keys());
    if (auto r = key->set(value, p); !r) return r.error();
  }
  if (!table->contains("command")) {
    return config_error(*f.file, f.line, f.key + ".command",
                        "missing required key; expected a command string or a non-empty array of strings");
  }
  if (listener) {
    if (auto r = check_listener(f, p, table->contains("stdout_log")); !r) return r.error();
    p.stdout_log = LogTarget{LogTarget::Kind::None, {}};  // its stdout is the protocol
  }
  if (p.redirect_stderr) {
    if (const auto* stderr_log = table->get("stderr_log")) {
      return f.child(*stderr_log, "stderr_log")
          .error("cannot be set together with redirect_stderr = true (stderr then goes to stdout_log); "
                 "remove one of them");
    }
  }
  if (p.ready && p.ready->probe.kind == ProbeTarget::Kind::Log && p.stdout_log.kind == LogTarget::Kind::None &&
      (p.redirect_stderr || p.stderr_log.kind == LogTarget::Kind::None)) {
    return f.child(*table->get("ready"), "ready.log")
        .error("needs the program's output, but stdout_log and stderr_log are both \"none\"; keep one of them");
  }
  if (p.restart == RestartMode::Rolling && p.ready) {
    if (const SocketConfig* held = probed_socket(p.ready->probe, p.sockets)) {
      return f.child(*table->get("ready"), "ready")
          .error("checks " + held->address + ", a socket konnectd holds for the program: during a rolling "
                 "restart the old instance would answer it for the new one; use a check of the instance's own "
                 "(log, notify, exec, or an address it binds itself)");
    }
  }
  if (p.backoff_initial.count() <= 0) {
    const auto* v = table->get("backoff_initial");
    return f.child(*v, "backoff_initial").error("must be more than 0 (a crash loop must not spin)");
  }
  if (p.backoff_max < p.backoff_initial) {
    const auto* v = table->get("backoff_max") ? table->get("backoff_max") : table->get("backoff_initial");
    return f.child(*v, table->get("backoff_max") ? "backoff_max" : "backoff_initial")
        .error("backoff_max (" + format_duration(p.backoff_max) + ") must be at least backoff_initial (" +
               format_duration(p.backoff_initial) + ")");
  }
  if (p.numprocs_start > std::numeric_limits<int>::max() - p.numprocs) {
    return f.child(*table->get("numprocs_start"), "numprocs_start")
        .error("numprocs_start + numprocs is too large");
  }
  return p;
}

std::optional<Result<void>> set_program_key(std::string_view key, const Field& f, ProgramConfig& p) {
  const ProgramKey* k = find_program_key(key);
  if (!k) return std::nullopt;
  return k->set(f, p);
}

Result<GroupConfig> read_group_table(const Field& f, const std::string& name) {
  if (!is_valid_name(name)) {
    return f.error("invalid group name '" + name + "'; names may contain only " + std::string(kNameChars));
  }
  const auto* table = f.node->as_table();
  if (!table) return f.expected("a [" + f.key + "] table");
  GroupConfig g;
  g.name = name;
  g.source_file = f.file->name;
  g.source_line = f.line;
  constexpr std::string_view kWhat = "a non-empty array of program names";
  for (const auto& [k, v] : *table) {
    Field value = f.child(v, k.str());
    if (k.str() == "priority") {
      if (auto r = assign(read_int(value), g.priority); !r) return r.error();
    } else if (k.str() == "programs") {
      const auto* a = v.as_array();
      if (!a || a->empty()) return value.expected(kWhat);
      for (const auto& member : *a) {
        const auto* s = member.as_string();
        if (!s || s->get().empty()) return value.child(member, "").expected(kWhat);
        for (const auto& seen : g.programs) {
          if (seen == s->get()) return value.child(member, "").error("program '" + seen + "' is listed twice");
        }
        g.programs.push_back(s->get());
      }
    } else {
      return value.error("unknown key; accepted keys: programs, priority");
    }
  }
  if (g.programs.empty()) {
    return config_error(*f.file, f.line, f.key + ".programs", "missing required key; expected " + std::string(kWhat));
  }
  return g;
}

}  // namespace konnect::config_detail
