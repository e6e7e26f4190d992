#pragma once
// What happened, once, for whoever listens (daemon/events/event_bus.hpp): a typed event with
// the daemon's monotonic sequence number and the time. The second wave's `events` and `wait`
// commands, metrics, supervisord event listeners and the web page all read these.

#include "common/process_state.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <variant>

namespace konnect {

// A process went from one state to another (supervisord's PROCESS_STATE_* events).
struct StateChange {
  std::string name;     // the namespec: NAME or GROUP:NAME
  std::string group;
  std::string process;
  State from = State::Stopped;
  State to = State::Stopped;
  pid_t pid = 0;        // the instance's pid: the one that exited, for EXITED, BACKOFF, STOPPED
  std::string reason;   // "exit status 3", the spawn error, ""
  bool expected = false;  // EXITED: the exit code is one of exitcodes
  int tries = 0;        // failed starts since the last RUNNING (BACKOFF, STARTING, FATAL)
};

// A program log file was rotated (FILE became FILE.1): `count` times since the last such
// event of this file (a burst of output may fill it several times in one turn of the pump).
struct LogRotated {
  std::string name;    // the namespec
  std::string stream;  // "stdout" or "stderr" (stdout when stderr is redirected into it)
  std::string path;    // FILE
  std::uint64_t count = 1;
};

using EventBody = std::variant<StateChange, LogRotated>;

struct Event {
  std::uint64_t seq = 0;      // 1, 2, 3, ... in the order published, per daemon run
  std::int64_t unix_ms = 0;   // when it was published
  EventBody body;
};

}  // namespace konnect
