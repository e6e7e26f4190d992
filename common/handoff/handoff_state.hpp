#pragma once
// What konnectd hands over to its next image at `konnectctl reexec` (SPEC.md "Upgrade in
// place"): every program's instances, their output pipes and log files, held sockets, notify
// sockets and the control socket, written by the old image as JSON into a memfd and read back
// by the new one before it serves. Pure: the file descriptors are numbers here; which ones
// stay open across execve is the daemon's business (daemon/handoff/).
//
// Versioned: `version` says which layout this is. A binary reads every version it lists in
// kReadableVersions (`konnectd --state-versions` prints them), so a newer konnectd takes the
// state an older one wrote; the old image execs only a binary that lists its kStateVersion.
// A state that does not read (unknown version, wrong types, an fd that cannot be one, a
// name missing) is refused as a whole with the reason: the new image then gives control
// back to the old one. Times are absolute CLOCK_MONOTONIC nanoseconds (monotonic time goes
// on across execve), never durations left, so no deadline is stretched by the handover.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace konnect::handoff {

// 2: event listeners (`listeners`). 3: streams to the console (stdout_log = "console"). A
// state without either is written as version 1, which every binary since the first reexec
// reads; one with them needs a binary that reads 2 (3).
inline constexpr int kStateVersion = 3;
inline constexpr std::array<int, 3> kReadableVersions{1, 2, 3};

// One instance's state machine (daemon/supervision/process.hpp), field by field. Written
// with only the fields that differ from these defaults (and `state`); a field that is absent
// reads as its default.
struct ProcessState {
  std::string state;  // "STOPPED", "STARTING", ... as status prints them
  int pid = 0;
  int pidfd = -1;             // open across the exec (-1: the kernel gave none)
  int pgid = 0;               // the group its signals go to (its own pid, unless MAINPID= moved it)
  bool adopted_main = false;  // pid came from MAINPID= and is not konnectd's child
  std::uint64_t spawn_id = 0;
  unsigned instance = 0;  // the copy's instance number (its cgroup programs/NAMESPEC/N)
  int last_pid = 0;
  std::string last_exit;
  bool last_exit_expected = false;
  int backoff_count = 0;
  int crash_streak = 0;
  std::int64_t delay_ms = 0;
  bool start_after_stop = false;
  bool stop_prelude_pending = false;  // STOPPING: the stopsignal is due at the timer
  bool settled = false;
  std::int64_t started_at_ns = 0;  // CLOCK_MONOTONIC
  std::int64_t start_time = 0;     // unix seconds
  std::uint64_t starts = 0;        // instances spawned (absent in an older state: 0)
  std::int64_t stop_time = 0;
  int exitstatus = 0;
  std::string spawnerr;
  std::string exec_error;
  std::string log_error;
  std::string not_ready;
  bool ready_timed_out = false;
  std::optional<std::int64_t> ready_timeout_ms;
  std::string stop_reason;
  std::string health = "none";  // "ok", "failing", "none"
  std::string notify_status;
  std::string watchdog_reason;
  std::optional<std::int64_t> timer_at_ns;  // the state's deadline, CLOCK_MONOTONIC
  bool operator==(const ProcessState&) const = default;
};

// The write ends konnectd keeps for a copy's next instances, and the pump sources they feed.
struct Pipes {
  int stdout_fd = -1;
  int stderr_fd = -1;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> sources;  // (stream, source)
  bool operator==(const Pipes&) const = default;
};

struct CopyState {
  std::string name;  // the process name (NAME or NAME_00)
  std::optional<std::uint64_t> stdout_stream;
  std::optional<std::uint64_t> stderr_stream;
  Pipes pipes;
  int notify_fd = -1;  // its NOTIFY_SOCKET, bound, when the program uses notify
  std::string notify_path;
  ProcessState current;
  bool operator==(const CopyState&) const = default;
};

struct ProgramState {
  std::string name;
  std::vector<CopyState> copies;
  bool operator==(const ProgramState&) const = default;
};

// One pipe into a log stream: its read end, and whether the next byte starts a line.
struct SourceState {
  std::uint64_t id = 0;
  int read_fd = -1;
  bool at_line_start = true;
  std::string partial;  // version 3, a console stream's: the line still being written
  bool operator==(const SourceState&) const = default;
};

// One log file (daemon/output/output_pump.hpp): open at `size`, rotated `rotations` times.
struct StreamState {
  std::uint64_t id = 0;
  std::string name;
  std::string path;
  int file_fd = -1;
  std::uint64_t size = 0;
  std::uint64_t maxbytes = 0;
  int backups = 0;
  bool timestamps = false;
  std::uint64_t rotations = 0;
  std::uint64_t written = 0;  // bytes in all, across rotations (absent in an older state: 0)
  int console = 0;            // version 3: 1 or 2, konnectd's stdout or stderr (no path, no file_fd)
  std::string label;          // version 3, a console stream's: the "NAME | " prefix's name
  std::vector<SourceState> sources;
  bool operator==(const StreamState&) const = default;
};

struct SocketState {
  std::string program;
  std::string address;  // canonical, as the config writes it
  int fd = -1;
  bool operator==(const SocketState&) const = default;
};

// The client that asked for the reexec: the new image answers it.
struct Requester {
  int fd = -1;
  std::string request_id;        // the request's "id", as JSON text
  std::int64_t requested_at_ns = 0;  // CLOCK_MONOTONIC, when the request came
  // CLOCK_MONOTONIC, when the old image stopped serving (after the binary's checks); absent
  // in an older state: requested_at_ns.
  std::int64_t paused_at_ns = 0;
  bool operator==(const Requester&) const = default;
};

// Event listeners (daemon/events/listener_pools.hpp): one event, waiting in a pool's buffer
// or sent to a listener that has not answered yet.
struct ListenerEvent {
  std::string type;     // its name, "PROCESS_STATE_RUNNING"
  std::string payload;  // any bytes (PROCESS_LOG_* carries a program's output)
  std::uint64_t serial = 0;
  std::uint64_t pool_serial = 0;
  bool operator==(const ListenerEvent&) const = default;
};

// One listener process: konnectd's ends of its stdin and stdout, what it said that is not
// read to an end yet, the event it has, and what of that event is not written yet.
struct ListenerProcess {
  std::string namespec;
  int stdin_fd = -1;
  int stdout_fd = -1;
  std::string reader_state;  // "ACKNOWLEDGED", "READY", "BUSY", "UNKNOWN"
  std::string reader_buffer;
  std::optional<std::uint64_t> result_length;
  std::optional<ListenerEvent> current;
  std::string unwritten;
  bool running = false;
  bool operator==(const ListenerProcess&) const = default;
};

struct ListenerPool {
  std::string name;  // the [eventlistener.NAME]
  std::uint64_t next_pool_serial = 0;
  std::vector<ListenerEvent> buffer;
  std::vector<ListenerProcess> listeners;
  bool operator==(const ListenerPool&) const = default;
};

struct Listeners {
  std::uint64_t next_serial = 0;
  std::vector<std::string> groups;  // what PROCESS_GROUP_* last announced
  std::vector<std::pair<int, std::int64_t>> tick_slices;  // (period s, the last tick's `when`)
  std::vector<ListenerPool> pools;
  bool operator==(const Listeners&) const = default;
};

struct State {
  // What decode() read; encode() writes the lowest version that holds the state.
  int version = kStateVersion;
  std::string konnectd_version;  // the image that wrote it
  std::string config_file;       // the main file, for the next reread
  std::string config_toml;       // the running config, flattened (common/config/config_writer)
  bool allow_insecure_config = false;
  int control_fd = -1;
  // [konnectd] supervisor_socket's and http's listening sockets (-1: none; absent in an
  // older state).
  int supervisor_socket_fd = -1;
  int http_fd = -1;
  std::string web_token;  // the web page's CSRF token (absent in an older state: a new one)
  std::optional<Requester> requester;
  std::uint64_t next_spawn_id = 1;
  std::uint64_t next_stream_id = 1;
  std::uint64_t next_source_id = 1;
  std::uint64_t event_seq = 0;
  bool ready = false;  // every autostart program had settled (systemd READY=1 was sent)
  std::vector<ProgramState> programs;
  std::vector<StreamState> streams;
  std::vector<SocketState> sockets;
  std::optional<Listeners> listeners;  // version 2
  bool operator==(const State&) const = default;

  // The version encode() writes: 1 unless something needs 2 or 3.
  int lowest_version() const;

  // Every fd named above, each once: what must stay open across the exec.
  std::vector<int> fds() const;
};

std::string encode(const State& state);
// Reads a state of any readable version; refuses anything else with the reason.
Result<State> decode(std::string_view text);

// Whether the state's programs are the config's: every program it names is there, with the
// same process names (the config is the one the state carries, loaded). Else what is not.
Result<void> fits(const State& state, const Config& config);

// "1" (kReadableVersions, space-separated), as `konnectd --state-versions` prints it.
std::string readable_versions_text();
// Whether that output (one line) lists `version`.
bool lists_version(std::string_view output, int version);

}  // namespace konnect::handoff
