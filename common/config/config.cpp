// The config model's own behaviour: equality for reload diffs and lookups by name.
// Loading lives in config_loader.cpp.

#include "common/config/config.hpp"

#include <cstdio>
#include <tuple>

namespace konnect {
namespace {

// Every field that changes how a program runs; source_file/source_line are only where
// it was written, so moving a program between files does not restart it.
auto behaviour_fields(const ProgramConfig& p) {
  return std::tie(p.name, p.command, p.directory, p.user, p.group, p.umask, p.environment,
                  p.numprocs, p.numprocs_start, p.priority, p.autostart, p.autorestart,
                  p.exitcodes, p.startsecs, p.startretries, p.backoff_initial, p.backoff_max,
                  p.backoff_reset, p.stopsignal, p.stopwaitsecs,
                  p.stopasgroup, p.killasgroup, p.redirect_stderr, p.stdout_log, p.stderr_log,
                  p.stdout_log_maxbytes, p.stderr_log_maxbytes, p.stdout_log_backups,
                  p.stderr_log_backups, p.log_timestamps, p.ready, p.health, p.watchdog, p.depends_on,
                  p.sockets, p.restart, p.stop_prelude, p.listener, p.stdout_events_enabled,
                  p.stderr_events_enabled, p.shutdown_on_exit);
}

// What a running process was made from (its held sockets are its fds 3...): a change here
// needs a new process (reload restarts it); every other field applies to the running one in place.
auto spawn_fields(const ProgramConfig& p) {
  return std::tie(p.name, p.command, p.directory, p.user, p.group, p.umask, p.environment,
                  p.numprocs, p.numprocs_start, p.redirect_stderr, p.stdout_log, p.stderr_log, p.sockets,
                  p.listener);
}

}  // namespace

std::string_view to_string(ProbeTarget::Kind kind) {
  switch (kind) {
    case ProbeTarget::Kind::Http: return "http";
    case ProbeTarget::Kind::Tcp: return "tcp";
    case ProbeTarget::Kind::Exec: return "exec";
    case ProbeTarget::Kind::Log: return "log";
    case ProbeTarget::Kind::Notify: return "notify";
  }
  return "?";
}

std::string_view to_string(DependsOn condition) {
  return condition == DependsOn::Completed ? "completed" : "running";
}

bool uses_notify(const ProgramConfig& p) {
  return (p.ready && p.ready->probe.kind == ProbeTarget::Kind::Notify) || p.watchdog.has_value();
}

bool needs_restart(const ProgramConfig& running, const ProgramConfig& next) {
  // NOTIFY_SOCKET and WATCHDOG_USEC are in the environment the process was started with.
  if (uses_notify(running) != uses_notify(next) || running.watchdog != next.watchdog) return true;
  return spawn_fields(running) != spawn_fields(next);
}

std::vector<std::string> process_names(const ProgramConfig& program) {
  if (program.numprocs <= 1) return {program.name};
  std::vector<std::string> out;
  for (int i = 0; i < program.numprocs; ++i) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "_%02d", program.numprocs_start + i);
    out.push_back(program.name + suffix);
  }
  return out;
}

bool ProgramConfig::operator==(const ProgramConfig& o) const {
  return behaviour_fields(*this) == behaviour_fields(o);
}

const ProgramConfig* Config::find_program(const std::string& name) const {
  for (const auto& p : programs) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace konnect
