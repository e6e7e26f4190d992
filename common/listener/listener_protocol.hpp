#pragma once
// supervisord's event listener protocol (its events.py and dispatchers.py; SPEC.md "Event
// listeners"), the pure part: the event types and which a subscription names, the envelope
// and payloads written to a listener's stdin, and the reader of what it writes back on its
// stdout (READY, then RESULT N and N bytes). No sockets, no clocks: the daemon's listener
// pool feeds it bytes and acts on what it reports. In make fuzz.

#include "common/process_state.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::listener {

// supervisord's EventTypes; the abstract ones (EVENT, PROCESS_STATE, ...) only subscribe.
enum class EventType {
  Event,
  ProcessState,
  ProcessStateStopped,
  ProcessStateExited,
  ProcessStateStarting,
  ProcessStateStopping,
  ProcessStateBackoff,
  ProcessStateFatal,
  ProcessStateRunning,
  ProcessStateUnknown,
  ProcessCommunication,
  ProcessCommunicationStdout,
  ProcessCommunicationStderr,
  ProcessLog,
  ProcessLogStdout,
  ProcessLogStderr,
  RemoteCommunication,
  SupervisorStateChange,
  SupervisorStateChangeRunning,
  SupervisorStateChangeStopping,
  Tick,
  Tick5,
  Tick60,
  Tick3600,
  ProcessGroup,
  ProcessGroupAdded,
  ProcessGroupRemoved,
};

std::optional<EventType> event_type(std::string_view name);  // "PROCESS_STATE_RUNNING"
std::string_view event_name(EventType type);
// Whether a listener subscribed to `subscribed` gets an event of `type`: the type itself or
// one of its supertypes (EVENT names them all).
bool names(EventType subscribed, EventType type);
// The event of a process entering `to`.
EventType process_state_event(State to);
// Every name event_type() takes, for error messages.
std::string accepted_names();

// The header line and payload a listener reads for one event:
// "ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:X len:54\n" + payload.
std::string envelope(std::uint64_t serial, std::string_view pool, std::uint64_t pool_serial, EventType type,
                     std::string_view payload);

// PROCESS_STATE_*: "processname:cat groupname:cat from_state:RUNNING expected:0 pid:2766",
// with tries for STARTING and BACKOFF, expected and pid for EXITED, pid for RUNNING,
// STOPPING and STOPPED, nothing more for FATAL.
std::string process_state_payload(std::string_view process, std::string_view group, State from, State to, pid_t pid,
                                  int tries, bool expected);
std::string tick_payload(std::int64_t unix_seconds);        // "when:1201063880"
// PROCESS_LOG_*: "processname:web groupname:web pid:42 channel:stdout\n" and the output.
std::string log_payload(std::string_view process, std::string_view group, pid_t pid, bool stderr_channel,
                        std::string_view data);
std::string group_payload(std::string_view group);          // "groupname:cat\n"

// What a listener writes on its stdout, read as supervisord reads it. A listener starts
// ACKNOWLEDGED; READY makes it READY; an event sent makes it BUSY; "RESULT N\n" and N bytes
// make it ACKNOWLEDGED again with the result; anything else makes it UNKNOWN, for good (until
// it is restarted: then a new reader).
class Reader {
 public:
  enum class State { Acknowledged, Ready, Busy, Unknown };
  struct Outcome {
    enum class Kind { Ready, Result, Unknown } kind;
    std::string text;  // Result: the body ("OK", "FAIL"); Unknown: why
  };

  // Everything the bytes complete, in order.
  std::vector<Outcome> feed(std::string_view bytes);
  // An event went to the listener (it was READY).
  void sent();
  State state() const { return state_; }

  // reexec: the reader as it stands, and one that goes on from there in the next image.
  struct Saved {
    State state = State::Acknowledged;
    std::string buffer;  // bytes read that complete nothing yet
    std::optional<std::size_t> result_length;
  };
  Saved save() const { return {state_, buffer_, result_length_}; }
  static Reader restore(Saved saved);

 private:
  void go_unknown(std::vector<Outcome>& out, std::string why);

  State state_ = State::Acknowledged;
  std::string buffer_;
  std::optional<std::size_t> result_length_;
};

// "ACKNOWLEDGED", "READY", "BUSY", "UNKNOWN" (supervisord's listener states), and back.
std::string_view reader_state_name(Reader::State state);
std::optional<Reader::State> reader_state(std::string_view name);

// supervisord's default result handler: "OK" accepts the event; anything else rejects it
// (it is sent again later).
inline bool accepted(std::string_view result) { return result == "OK"; }

}  // namespace konnect::listener
