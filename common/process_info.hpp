#pragma once
// A snapshot of one process as `status` reports it (docs/protocol.md "Process object"),
// and supervisorctl's description text for it. Pure: the daemon fills it, the JSON goes on
// the wire, the client prints `description`.

#include "common/process_state.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace konnect {

// What health checks say of a process: none configured or not RUNNING, the last check
// passed, or it failed (status --json "health").
enum class Health { None, Ok, Failing };
std::string_view to_string(Health health);

struct ProcessInfo {
  std::string group;
  std::string process;
  State state = State::Stopped;
  pid_t pid = 0;
  std::int64_t start = 0;  // unix seconds of the last start; 0 = never started
  std::int64_t stop = 0;   // unix seconds of the last stop or exit; 0 = never
  std::int64_t now = 0;    // unix seconds when the snapshot was taken
  int exitstatus = 0;      // exit code, or 128+N when killed by signal N
  std::string spawnerr;    // why the last start failed; empty if it did not
  std::string log_error;   // why its output cannot be written now; empty when it can
  std::int64_t backoff_ms = 0;  // BACKOFF: the delay before the next try; else 0
  Health health = Health::None;
  std::string notify_status;  // STATUS= the program sent to $NOTIFY_SOCKET; empty if none
  std::uint64_t restarts = 0;  // starts after the first since it was added (metrics, web page)
  // During a rolling restart: the old instance, still running or stopping ("previous").
  struct Previous {
    pid_t pid = 0;
    State state = State::Running;
  };
  std::optional<Previous> previous;

  // supervisorctl's namespec: "NAME" when group == process, else "GROUP:NAME".
  std::string namespec() const;
};

// supervisorctl's description column: "pid 1234, uptime 0:01:02" when RUNNING, the stop time
// ("Nov 28 02:30 AM", local time) or "Not started" when STOPPED/EXITED, the spawn error when
// BACKOFF/FATAL (BACKOFF adds "; retry in 4s"), empty when STARTING/STOPPING; the program's
// sd_notify STATUS= follows ("pid 1234, uptime 0:01:02; Serving"); a log write failure is
// appended in brackets.
std::string describe(const ProcessInfo& info);

// "0:01:02", "1 day, 2:03:04", "3 days, 0:00:00" (Python's str(timedelta)).
std::string format_uptime(std::int64_t seconds);

// Appends the process object of docs/protocol.md as JSON text (common/protocol/json_text.hpp).
void append_json(std::string& out, const ProcessInfo& info);

}  // namespace konnect
