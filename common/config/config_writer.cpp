#include "common/config/config_writer.hpp"

#include "common/signal_names.hpp"
#include "common/config/units.hpp"

#include <toml++/toml.h>

#include <cstdio>
#include <sstream>

namespace konnect {
namespace {

std::string size_text(std::uint64_t bytes) {
  constexpr std::uint64_t kKB = 1024, kMB = kKB * 1024, kGB = kMB * 1024;
  for (const auto& [unit, n] : {std::pair{"GB", kGB}, {"MB", kMB}, {"KB", kKB}}) {
    if (bytes != 0 && bytes % n == 0) return std::to_string(bytes / n) + unit;
  }
  return std::to_string(bytes) + "B";
}

std::string log_text(const LogTarget& t) {
  switch (t.kind) {
    case LogTarget::Kind::Auto: return "auto";
    case LogTarget::Kind::None: return "none";
    case LogTarget::Kind::Console: return "console";
    case LogTarget::Kind::Path: return t.path.string();
  }
  return "auto";
}

// ready = { http = "..." , timeout = "60s" }, health = {...}: the probe, then what differs.
toml::table check_table(const ProbeTarget& probe) {
  toml::table t;
  const std::string kind(to_string(probe.kind));
  switch (probe.kind) {
    case ProbeTarget::Kind::Exec: {
      toml::array argv;
      for (const auto& word : probe.command) argv.push_back(word);
      t.insert(kind, std::move(argv));
      break;
    }
    case ProbeTarget::Kind::Notify:
      t.insert(kind, true);
      break;
    default:
      t.insert(kind, probe.text);
  }
  t.is_inline(true);
  return t;
}

toml::table ready_table(const ReadyCheck& r) {
  const ReadyCheck d;
  toml::table t = check_table(r.probe);
  if (r.timeout != d.timeout) t.insert("timeout", format_duration(r.timeout));
  if (r.interval != d.interval) t.insert("interval", format_duration(r.interval));
  if (r.probe_timeout != d.probe_timeout) t.insert("probe_timeout", format_duration(r.probe_timeout));
  return t;
}

toml::table health_table(const HealthCheck& h) {
  const HealthCheck d;
  toml::table t = check_table(h.probe);
  if (h.interval != d.interval) t.insert("interval", format_duration(h.interval));
  if (h.timeout != d.timeout) t.insert("timeout", format_duration(h.timeout));
  if (h.failures != d.failures) t.insert("failures", h.failures);
  return t;
}

// A socket as its address, or as a table when it has more than its defaults.
toml::array sockets_array(const ProgramConfig& p) {
  toml::array out;
  const SocketConfig d;
  for (const auto& s : p.sockets) {
    if (s.name == p.name && s.backlog == d.backlog && !s.mode) {
      out.push_back(s.address);
      continue;
    }
    toml::table t;
    t.insert("address", s.address);
    if (s.name != p.name) t.insert("name", s.name);
    if (s.backlog != d.backlog) t.insert("backlog", s.backlog);
    if (s.mode) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(*s.mode));
      t.insert("mode", std::string(buf));
    }
    t.is_inline(true);
    out.push_back(std::move(t));
  }
  return out;
}

toml::table program_table(const ProgramConfig& p, const DaemonConfig& daemon) {
  ProgramConfig d;  // the loader's defaults
  if (p.listener) d.priority = -1;  // an event listener's
  toml::table t;
  toml::array command;
  for (const auto& word : p.command) command.push_back(word);
  t.insert("command", std::move(command));
  if (p.directory != d.directory) t.insert("directory", p.directory.string());
  if (p.user != d.user) t.insert("user", p.user);
  if (p.group != d.group) t.insert("group", p.group);
  if (p.umask) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03o", static_cast<unsigned>(*p.umask));
    t.insert("umask", std::string(buf));
  }
  toml::table env;
  for (const auto& [k, v] : p.environment) {
    auto it = daemon.environment.find(k);
    if (it == daemon.environment.end() || it->second != v) env.insert(k, v);  // the rest comes from [konnectd]
  }
  env.is_inline(true);
  if (!env.empty()) t.insert("environment", std::move(env));
  if (p.numprocs != d.numprocs) t.insert("numprocs", p.numprocs);
  if (p.numprocs_start != d.numprocs_start) t.insert("numprocs_start", p.numprocs_start);
  if (p.priority != d.priority) t.insert("priority", p.priority);
  if (p.autostart != d.autostart) t.insert("autostart", p.autostart);
  if (p.autorestart != d.autorestart) {
    if (p.autorestart == AutoRestart::Unexpected) {
      t.insert("autorestart", "unexpected");
    } else {
      t.insert("autorestart", p.autorestart == AutoRestart::Always);
    }
  }
  if (p.exitcodes != d.exitcodes) {
    toml::array codes;
    for (int c : p.exitcodes) codes.push_back(c);
    t.insert("exitcodes", std::move(codes));
  }
  if (p.startsecs != d.startsecs) t.insert("startsecs", format_duration(p.startsecs));
  if (p.startretries != d.startretries) t.insert("startretries", p.startretries);
  if (p.stopsignal != d.stopsignal) t.insert("stopsignal", signal_name(p.stopsignal));
  if (p.stopwaitsecs != d.stopwaitsecs) t.insert("stopwaitsecs", format_duration(p.stopwaitsecs));
  if (p.stopasgroup != d.stopasgroup) t.insert("stopasgroup", p.stopasgroup);
  if (p.killasgroup != d.killasgroup) t.insert("killasgroup", p.killasgroup);
  if (p.redirect_stderr != d.redirect_stderr) t.insert("redirect_stderr", p.redirect_stderr);
  if (p.stdout_log != d.stdout_log) t.insert("stdout_log", log_text(p.stdout_log));
  if (p.stderr_log != d.stderr_log && !p.redirect_stderr) t.insert("stderr_log", log_text(p.stderr_log));
  if (p.stdout_log_maxbytes != d.stdout_log_maxbytes) t.insert("stdout_log_maxbytes", size_text(p.stdout_log_maxbytes));
  if (p.stderr_log_maxbytes != d.stderr_log_maxbytes) t.insert("stderr_log_maxbytes", size_text(p.stderr_log_maxbytes));
  if (p.stdout_log_backups != d.stdout_log_backups) t.insert("stdout_log_backups", p.stdout_log_backups);
  if (p.stderr_log_backups != d.stderr_log_backups) t.insert("stderr_log_backups", p.stderr_log_backups);
  if (p.log_timestamps && *p.log_timestamps != daemon.log_timestamps) t.insert("log_timestamps", *p.log_timestamps);
  if (p.backoff_initial != d.backoff_initial) t.insert("backoff_initial", format_duration(p.backoff_initial));
  if (p.backoff_max != d.backoff_max) t.insert("backoff_max", format_duration(p.backoff_max));
  if (p.backoff_reset != d.backoff_reset) t.insert("backoff_reset", format_duration(p.backoff_reset));
  if (p.ready) t.insert("ready", ready_table(*p.ready));
  if (p.health) t.insert("health", health_table(*p.health));
  if (p.watchdog) t.insert("watchdog", format_duration(*p.watchdog));
  if (!p.depends_on.empty()) {
    toml::table deps;
    for (const auto& dep : p.depends_on) deps.insert(dep.name, std::string(to_string(dep.condition)));
    deps.is_inline(true);
    t.insert("depends_on", std::move(deps));
  }
  if (!p.sockets.empty()) t.insert("sockets", sockets_array(p));
  if (p.restart == RestartMode::Rolling) t.insert("restart", "rolling");
  if (p.shutdown_on_exit) t.insert("shutdown_on_exit", true);
  if (p.stdout_events_enabled) t.insert("stdout_events_enabled", true);
  if (p.stderr_events_enabled) t.insert("stderr_events_enabled", true);
  if (p.stop_prelude) {
    toml::table prelude;
    prelude.insert("signal", signal_name(p.stop_prelude->signal));
    if (p.stop_prelude->wait != StopPrelude{}.wait) prelude.insert("wait", format_duration(p.stop_prelude->wait));
    prelude.is_inline(true);
    t.insert("stop_prelude", std::move(prelude));
  }
  return t;
}

toml::table daemon_table(const DaemonConfig& c) {
  const DaemonConfig d;
  toml::table t;
  // Always written: where the socket and the logs are is what an admin looks for first.
  t.insert("socket", c.socket.string());
  t.insert("log_dir", c.log_dir.string());
  t.insert("log_file", c.log_file.string());
  if (c.pid_file != d.pid_file) t.insert("pid_file", c.pid_file.string());
  if (c.log_level != d.log_level) t.insert("log_level", c.log_level);
  if (c.log_file_maxbytes != d.log_file_maxbytes) t.insert("log_file_maxbytes", size_text(c.log_file_maxbytes));
  if (c.log_file_backups != d.log_file_backups) t.insert("log_file_backups", c.log_file_backups);
  if (c.log_timestamps != d.log_timestamps) t.insert("log_timestamps", c.log_timestamps);
  if (!c.environment.empty()) {
    toml::table env;
    for (const auto& [k, v] : c.environment) env.insert(k, v);
    env.is_inline(true);
    t.insert("environment", std::move(env));
  }
  if (!c.socket_group.empty()) t.insert("socket_group", c.socket_group);
  if (!c.socket_readonly_group.empty()) t.insert("socket_readonly_group", c.socket_readonly_group);
  if (c.client_idle_timeout != d.client_idle_timeout) t.insert("client_idle_timeout", format_duration(c.client_idle_timeout));
  if (!c.http.empty()) t.insert("http", c.http);
  if (!c.http_username.empty()) t.insert("http_username", c.http_username);
  if (!c.http_password.empty()) t.insert("http_password", c.http_password);
  if (c.metrics_auth) t.insert("metrics_auth", true);
  if (!c.supervisor_socket.empty()) t.insert("supervisor_socket", c.supervisor_socket.string());
  if (c.client_max_per_user != d.client_max_per_user) t.insert("client_max_per_user", c.client_max_per_user);
  if (c.cgroups != d.cgroups) t.insert("cgroups", c.cgroups == CgroupMode::On ? "on" : "off");
  return t;
}

std::string section(const std::string& header, const toml::table& t) {
  std::ostringstream out;
  out << header << "\n" << toml::toml_formatter(t, toml::format_flags::none) << "\n\n";
  return out.str();
}

// A TOML key for a table name: bare when it can be.
std::string key(const std::string& name) {
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) {
      std::ostringstream out;
      out << toml::value<std::string>(name);
      return out.str();
    }
  }
  return name;
}

}  // namespace

std::string write_toml_config(const Config& config, std::string_view header) {
  std::string out;
  std::string_view h = header;
  while (!h.empty()) {
    const auto nl = h.find('\n');
    out += "# " + std::string(h.substr(0, nl)) + "\n";
    h.remove_prefix(nl == std::string_view::npos ? h.size() : nl + 1);
  }
  if (!out.empty()) out += "\n";
  out += section("[konnectd]", daemon_table(config.daemon));
  for (const auto& p : config.programs) {
    if (!p.listener) {
      out += section("[program." + key(p.name) + "]", program_table(p, config.daemon));
      continue;
    }
    toml::table t = program_table(p, config.daemon);
    t.erase("stdout_log");  // an event listener's stdout is the protocol
    toml::array events;
    for (const auto& e : p.listener->events) events.push_back(e);
    t.insert("events", std::move(events));
    if (p.listener->buffer_size != ListenerConfig{}.buffer_size) t.insert("buffer_size", p.listener->buffer_size);
    out += section("[eventlistener." + key(p.name) + "]", t);
  }
  for (const auto& g : config.groups) {
    toml::table t;
    toml::array members;
    for (const auto& m : g.programs) members.push_back(m);
    t.insert("programs", std::move(members));
    if (g.priority != GroupConfig{}.priority) t.insert("priority", g.priority);
    out += section("[group." + key(g.name) + "]", t);
  }
  return out;
}

}  // namespace konnect
