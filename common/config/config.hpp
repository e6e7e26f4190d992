#pragma once
// The config model: what konnectd.toml (and its includes) says, fully resolved and
// immutable once loaded. Reload builds a new Config and diffs it against the running one,
// so every field that matters for a program's behaviour takes part in operator==.
// Defaults are supervisord's unless SPEC.md says otherwise (killasgroup = true).

#include "common/boxed.hpp"
#include "common/error.hpp"

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

using Duration = std::chrono::milliseconds;

enum class AutoRestart { Never, Always, Unexpected };
// restart = ...: how `restart` (and a reload that changes the program) replaces an instance.
// Rolling: a new instance first, ready, then the old one stopped (SPEC.md "Held sockets and
// rolling restarts").
enum class RestartMode { StopStart, Rolling };

// Where one output stream of a program goes.
struct LogTarget {
  enum class Kind { Auto, None, Path, Console };
  // Auto: <log_dir>/<process>.out.log or .err.log; Console: konnectd's own stdout (stderr for
  // stderr_log), each line prefixed "NAME | " (SPEC.md "Containers")
  Kind kind = Kind::Auto;
  std::filesystem::path path;  // absolute; only for Kind::Path
  bool operator==(const LogTarget&) const = default;
};

inline constexpr std::uint64_t kDefaultLogMaxBytes = 50ull * 1024 * 1024;

// What a readiness or health check looks at (SPEC.md "Readiness, health, order").
struct ProbeTarget {
  enum class Kind { Http, Tcp, Exec, Log, Notify };
  Kind kind = Kind::Tcp;
  std::string text;                  // as written: the URL, the address or the regex
  std::string host;                  // http, tcp: a name or an IP address (no brackets)
  std::uint16_t port = 0;            // http, tcp
  std::string path;                  // http: the request target, "/" at least
  std::vector<std::string> command;  // exec: argv, run like the program
  bool operator==(const ProbeTarget&) const = default;
};
std::string_view to_string(ProbeTarget::Kind kind);

// ready = {...}: STARTING -> RUNNING on the first success, instead of after startsecs.
struct ReadyCheck {
  ProbeTarget probe;
  Duration timeout{std::chrono::seconds(60)};         // from spawn: not ready by then fails the start
  Duration interval{std::chrono::milliseconds(500)};  // between probes (http, tcp, exec)
  Duration probe_timeout{std::chrono::seconds(2)};    // one probe's limit
  bool operator==(const ReadyCheck&) const = default;
};

// health = {...}: checked while RUNNING; `failures` in a row restart the process.
struct HealthCheck {
  ProbeTarget probe;  // http, tcp or exec
  Duration interval{std::chrono::seconds(10)};
  Duration timeout{std::chrono::seconds(2)};  // one check's limit
  int failures = 3;
  bool operator==(const HealthCheck&) const = default;
};

// depends_on: what must hold of another program (or of every program of a group) before
// this one is started (SPEC.md "Readiness, health, order").
enum class DependsOn {
  Running,    // RUNNING: ready, where it has `ready`
  Completed,  // exited with one of its exitcodes: a one-shot such as a database migration
};
std::string_view to_string(DependsOn condition);

struct Dependency {
  std::string name;  // a group (every member) or a program, as the start target NAME means it
  DependsOn condition = DependsOn::Running;
  bool operator==(const Dependency&) const = default;
};

// sockets = [...]: a listening socket konnectd binds and holds for the program, passed to
// each of its instances (SPEC.md "Held sockets and rolling restarts").
struct SocketConfig {
  enum class Kind { Tcp, Unix };
  Kind kind = Kind::Tcp;
  std::string address;          // canonical: "tcp://127.0.0.1:9090", "tcp://[::1]:9090", "tcp://*:80", "unix:/run/x.sock"
  std::string host;             // tcp: an IPv4 or IPv6 literal (no brackets); empty: every address
  std::uint16_t port = 0;       // tcp
  std::filesystem::path path;   // unix: absolute
  std::string name;             // its LISTEN_FDNAMES entry; the program's name unless given
  int backlog = 4096;           // listen(2)'s, capped by net.core.somaxconn
  std::optional<mode_t> mode;   // unix: the socket file's mode; empty: 0666 less konnectd's umask
  bool operator==(const SocketConfig&) const = default;
};

// stop_prelude = { signal = "TSTP", wait = "200ms" }: sent to the process first when it is
// stopped, the stopsignal `wait` later. uWSGI paused by TSTP finishes the requests it serves
// and accepts no more, so its graceful stop (TERM) cannot drop a connection one of its
// workers has just accepted (docs/rolling-restarts.md).
struct StopPrelude {
  int signal = SIGTSTP;
  Duration wait{std::chrono::milliseconds(200)};
  bool operator==(const StopPrelude&) const = default;
};

// [eventlistener.NAME] (INI [eventlistener:NAME]): the program is a supervisord event
// listener: its stdin gets the events named, its stdout answers (SPEC.md "Event listeners").
struct ListenerConfig {
  std::vector<std::string> events;  // supervisord's event type names, checked at load
  int buffer_size = 10;             // events kept for the pool while no listener is ready
  bool operator==(const ListenerConfig&) const = default;
};

struct ProgramConfig {
  std::string name;
  std::vector<std::string> command;  // argv; a TOML string is split like a shell would
  std::filesystem::path directory;   // absolute; empty: the daemon's working directory
  std::string user;                  // empty: the daemon's user
  std::string group;                 // empty: the user's primary group
  std::optional<mode_t> umask;       // empty: inherit the daemon's
  std::map<std::string, std::string> environment;  // added to the daemon's environment
  int numprocs = 1;
  int numprocs_start = 0;
  int priority = 999;
  bool autostart = true;
  AutoRestart autorestart = AutoRestart::Unexpected;
  std::vector<int> exitcodes{0};
  Duration startsecs{std::chrono::seconds(1)};
  int startretries = 3;  // -1: retry for ever, with the geometric backoff below
  // Crash loops (SPEC.md "Process states"): after RUNNING the first crash restarts at once;
  // each further crash of an instance that ran less than backoff_reset waits backoff_initial,
  // then twice as long each time, up to backoff_max. startretries = -1 uses the same delays
  // for failed starts.
  Duration backoff_initial{std::chrono::seconds(1)};
  Duration backoff_max{std::chrono::seconds(60)};
  Duration backoff_reset{std::chrono::seconds(10)};
  int stopsignal = SIGTERM;
  Duration stopwaitsecs{std::chrono::seconds(10)};
  bool stopasgroup = false;
  bool killasgroup = true;
  bool redirect_stderr = false;
  LogTarget stdout_log;
  LogTarget stderr_log;
  std::uint64_t stdout_log_maxbytes = kDefaultLogMaxBytes;
  std::uint64_t stderr_log_maxbytes = kDefaultLogMaxBytes;
  int stdout_log_backups = 10;
  int stderr_log_backups = 10;
  // Prefix each output line with an RFC 3339 UTC time. Unset in a [program] table means the
  // [konnectd] default; the loader always resolves it.
  std::optional<bool> log_timestamps;
  Boxed<ReadyCheck> ready;  // out of line: most programs have none
  Boxed<HealthCheck> health;
  // With it the program must send WATCHDOG=1 to $NOTIFY_SOCKET at least this often while
  // RUNNING, or it is killed (SIGABRT, then SIGKILL) as a crash.
  std::optional<Duration> watchdog;
  // Started only once each of these holds (start, add, reload, boot); stopped before them.
  std::vector<Dependency> depends_on;
  // Bound before the first start, passed as fds 3, 4, ... with LISTEN_FDS (sd_listen_fds).
  std::vector<SocketConfig> sockets;
  RestartMode restart = RestartMode::StopStart;
  std::optional<StopPrelude> stop_prelude;
  std::optional<ListenerConfig> listener;  // an [eventlistener.NAME]
  // supervisord's PROCESS_LOG_STDOUT / _STDERR events for event listeners: each chunk of
  // output, as written to the log.
  bool stdout_events_enabled = false;
  bool stderr_events_enabled = false;
  // SPEC.md "Containers": when it exits for good (EXITED with no restart due, or FATAL),
  // konnectd stops everything and exits with its exit code (FATAL: 1).
  bool shutdown_on_exit = false;

  // Where the [program.NAME] table (and its depends_on) was defined; not part of equality.
  std::string source_file;
  int source_line = 0;
  int depends_on_line = 0;
  int sockets_line = 0;

  bool operator==(const ProgramConfig& o) const;
};

// The program gets $NOTIFY_SOCKET (ready = { notify = true } or watchdog).
bool uses_notify(const ProgramConfig& program);

// True when going from `running` to `next` needs a new process: command, directory, user,
// group, umask, environment, numprocs or where the output goes changed. The other settings
// (autorestart, startretries, stopsignal, rotation sizes...) apply in place.
bool needs_restart(const ProgramConfig& running, const ProgramConfig& next);

// The names of a program's process instances: NAME, or NAME_00, NAME_01... with numprocs > 1
// (numbered from numprocs_start).
std::vector<std::string> process_names(const ProgramConfig& program);

struct GroupConfig {
  std::string name;
  std::vector<std::string> programs;
  int priority = 999;
  std::string source_file;
  int source_line = 0;
  bool operator==(const GroupConfig& o) const {
    return name == o.name && programs == o.programs && priority == o.priority;
  }
};

// Whether each program gets its own cgroup v2 (daemon/spawn/cgroup_tree.hpp).
enum class CgroupMode {
  Auto,  // when konnectd's cgroup was delegated to it (systemd Delegate=yes)
  On,    // always; konnectd does not start if its cgroup cannot be used
  Off,   // never: process groups, the subreaper and the spawn-id sweep only
};

struct DaemonConfig {
  std::filesystem::path socket{"/run/konnect/konnectd.sock"};
  std::filesystem::path log_dir{"/var/log/konnect"};
  std::filesystem::path log_file{"/var/log/konnect/konnectd.log"};  // "-" means stderr
  std::filesystem::path pid_file{"/run/konnect/konnectd.pid"};  // empty: none
  // Whether the file set log_file and pid_file: as PID 1 the unset ones take the container
  // defaults (LoadOptions::container_defaults).
  bool log_file_given = false;
  bool pid_file_given = false;
  // Who may use the control socket besides root (and konnectd's own user): members of
  // socket_group may do everything, members of socket_readonly_group only status, pid and
  // version. Empty: nobody else.
  std::string socket_group;
  std::string socket_readonly_group;
  // A client that sends no complete request for this long is disconnected (a waiting start
  // or a tail -f is not idle).
  Duration client_idle_timeout{std::chrono::seconds(60)};
  // The most control connections one user other than root (and konnectd's own) may hold;
  // one more is refused (daemon/control/client_pool.hpp).
  int client_max_per_user = 32;
  CgroupMode cgroups = CgroupMode::Auto;
  std::string log_level{"info"};  // trace, debug, info, warn, error, critical, off
  std::uint64_t log_file_maxbytes = kDefaultLogMaxBytes;  // the daemon log's rotation; 0 = never
  int log_file_backups = 10;
  bool log_timestamps = false;  // default for every program's log_timestamps
  // Added to every program's environment (a program's own value wins); the loader merges it
  // into each ProgramConfig, so reload sees a change here as a change of those programs.
  std::map<std::string, std::string> environment;
  // SPEC.md "HTTP": the HTTP interface on TCP ("127.0.0.1:9001"; empty: none), basic auth for
  // it (password in clear or "{SHA}" and its hex SHA-1), and a second Unix socket serving
  // what the control socket serves (supervisord's clients look in /var/run/supervisor.sock).
  std::string http;
  std::string http_username;
  std::string http_password;
  bool metrics_auth = false;  // /metrics asks for the credentials too
  std::filesystem::path supervisor_socket;
  bool operator==(const DaemonConfig&) const = default;
};

struct Config {
  std::filesystem::path file;  // the main file, absolute
  DaemonConfig daemon;
  std::vector<ProgramConfig> programs;  // in the order they were read
  std::vector<GroupConfig> groups;
  std::vector<std::filesystem::path> files_read;  // main file first, then includes
  // What was read but is not applied (supervisord options konnect does not implement), each
  // naming file, line and option; konnectd logs them, --check prints them.
  std::vector<Error> warnings;

  const ProgramConfig* find_program(const std::string& name) const;
};

inline constexpr const char* kDefaultConfigFile = "/etc/konnect/konnectd.toml";

}  // namespace konnect
