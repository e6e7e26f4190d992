#pragma once
// konnectd's own log (SPEC.md: [konnectd] log_file, "-" for stderr), through spdlog. Lines
// are formatted where they are logged and written by one log thread, through a bounded queue
// that drops the oldest line rather than block: no log write ever stalls the event loop, and
// the thread sleeps until there is a line (no periodic wakeup). The file rotates by size
// (log_file_maxbytes, log_file_backups) and is reopened on SIGUSR2 / logreopen.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <functional>
#include <string>

namespace konnect {

// Installs the default logger. A file that cannot be opened falls back to stderr (said there).
void setup_daemon_log(const DaemonConfig& config);
// Opens the log file again (after logrotate renamed it).
void reopen_daemon_log(const DaemonConfig& config);
// supervisord's clearLog: removes the log file and opens a new one (its rotated backups
// stay). FAILED when konnectd logs to stderr or the file is not there; IO_ERROR when it
// cannot be removed.
Result<void> clear_daemon_log(const DaemonConfig& config);
// maintail -f: every formatted line from now on goes to listener, on the log thread (the
// listener must only hand it over, e.g. post it to the event loop). Empty to stop.
void set_daemon_log_listener(std::function<void(std::string)> listener);
// Flushes and stops the logging thread (end of main).
void shutdown_daemon_log();

}  // namespace konnect
