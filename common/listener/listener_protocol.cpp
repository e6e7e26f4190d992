#include "common/listener/listener_protocol.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace konnect::listener {
namespace {

struct TypeInfo {
  EventType type;
  std::string_view name;
  std::optional<EventType> parent;  // the supertype; none for EVENT
};

constexpr std::array<TypeInfo, 27> kTypes{{
    {EventType::Event, "EVENT", std::nullopt},
    {EventType::ProcessState, "PROCESS_STATE", EventType::Event},
    {EventType::ProcessStateStopped, "PROCESS_STATE_STOPPED", EventType::ProcessState},
    {EventType::ProcessStateExited, "PROCESS_STATE_EXITED", EventType::ProcessState},
    {EventType::ProcessStateStarting, "PROCESS_STATE_STARTING", EventType::ProcessState},
    {EventType::ProcessStateStopping, "PROCESS_STATE_STOPPING", EventType::ProcessState},
    {EventType::ProcessStateBackoff, "PROCESS_STATE_BACKOFF", EventType::ProcessState},
    {EventType::ProcessStateFatal, "PROCESS_STATE_FATAL", EventType::ProcessState},
    {EventType::ProcessStateRunning, "PROCESS_STATE_RUNNING", EventType::ProcessState},
    {EventType::ProcessStateUnknown, "PROCESS_STATE_UNKNOWN", EventType::ProcessState},
    {EventType::ProcessCommunication, "PROCESS_COMMUNICATION", EventType::Event},
    {EventType::ProcessCommunicationStdout, "PROCESS_COMMUNICATION_STDOUT", EventType::ProcessCommunication},
    {EventType::ProcessCommunicationStderr, "PROCESS_COMMUNICATION_STDERR", EventType::ProcessCommunication},
    {EventType::ProcessLog, "PROCESS_LOG", EventType::Event},
    {EventType::ProcessLogStdout, "PROCESS_LOG_STDOUT", EventType::ProcessLog},
    {EventType::ProcessLogStderr, "PROCESS_LOG_STDERR", EventType::ProcessLog},
    {EventType::RemoteCommunication, "REMOTE_COMMUNICATION", EventType::Event},
    {EventType::SupervisorStateChange, "SUPERVISOR_STATE_CHANGE", EventType::Event},
    {EventType::SupervisorStateChangeRunning, "SUPERVISOR_STATE_CHANGE_RUNNING", EventType::SupervisorStateChange},
    {EventType::SupervisorStateChangeStopping, "SUPERVISOR_STATE_CHANGE_STOPPING", EventType::SupervisorStateChange},
    {EventType::Tick, "TICK", EventType::Event},
    {EventType::Tick5, "TICK_5", EventType::Tick},
    {EventType::Tick60, "TICK_60", EventType::Tick},
    {EventType::Tick3600, "TICK_3600", EventType::Tick},
    {EventType::ProcessGroup, "PROCESS_GROUP", EventType::Event},
    {EventType::ProcessGroupAdded, "PROCESS_GROUP_ADDED", EventType::ProcessGroup},
    {EventType::ProcessGroupRemoved, "PROCESS_GROUP_REMOVED", EventType::ProcessGroup},
}};

const TypeInfo& info(EventType type) { return kTypes[static_cast<std::size_t>(type)]; }

constexpr std::string_view kReady = "READY\n";
constexpr std::string_view kResult = "RESULT ";
constexpr std::size_t kMaxResultLine = 64;
constexpr std::size_t kMaxResult = 1024 * 1024;

}  // namespace

std::optional<EventType> event_type(std::string_view name) {
  for (const TypeInfo& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

std::string_view event_name(EventType type) { return info(type).name; }

bool names(EventType subscribed, EventType type) {
  for (std::optional<EventType> t = type; t; t = info(*t).parent) {
    if (*t == subscribed) return true;
  }
  return false;
}

EventType process_state_event(State to) {
  switch (to) {
    case State::Stopped: return EventType::ProcessStateStopped;
    case State::Starting: return EventType::ProcessStateStarting;
    case State::Running: return EventType::ProcessStateRunning;
    case State::Backoff: return EventType::ProcessStateBackoff;
    case State::Stopping: return EventType::ProcessStateStopping;
    case State::Exited: return EventType::ProcessStateExited;
    case State::Fatal: return EventType::ProcessStateFatal;
  }
  return EventType::ProcessStateUnknown;
}

std::string accepted_names() {
  std::string out;
  for (const TypeInfo& t : kTypes) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

std::string envelope(std::uint64_t serial, std::string_view pool, std::uint64_t pool_serial, EventType type,
                     std::string_view payload) {
  std::string out = "ver:3.0 server:supervisor serial:" + std::to_string(serial) + " pool:" + std::string(pool) +
                    " poolserial:" + std::to_string(pool_serial) + " eventname:" + std::string(event_name(type)) +
                    " len:" + std::to_string(payload.size()) + "\n";
  out += payload;
  return out;
}

std::string process_state_payload(std::string_view process, std::string_view group, State from, State to, pid_t pid,
                                  int tries, bool expected) {
  std::string out = "processname:" + std::string(process) + " groupname:" + std::string(group) +
                    " from_state:" + std::string(to_string(from));
  switch (to) {
    case State::Starting:
    case State::Backoff:
      out += " tries:" + std::to_string(tries);
      break;
    case State::Exited:
      out += " expected:" + std::to_string(expected ? 1 : 0) + " pid:" + std::to_string(pid);
      break;
    case State::Running:
    case State::Stopping:
    case State::Stopped:
      out += " pid:" + std::to_string(pid);
      break;
    case State::Fatal:
      break;
  }
  return out;
}

std::string log_payload(std::string_view process, std::string_view group, pid_t pid, bool stderr_channel,
                        std::string_view data) {
  std::string out = "processname:" + std::string(process) + " groupname:" + std::string(group) +
                    " pid:" + std::to_string(pid) + " channel:" + (stderr_channel ? "stderr" : "stdout") + "\n";
  out += data;
  return out;
}

std::string tick_payload(std::int64_t unix_seconds) { return "when:" + std::to_string(unix_seconds); }

std::string group_payload(std::string_view group) { return "groupname:" + std::string(group) + "\n"; }

Reader Reader::restore(Saved saved) {
  Reader r;
  r.state_ = saved.state;
  r.buffer_ = std::move(saved.buffer);
  r.result_length_ = saved.result_length;
  return r;
}

namespace {
constexpr std::pair<Reader::State, std::string_view> kReaderStates[] = {
    {Reader::State::Acknowledged, "ACKNOWLEDGED"},
    {Reader::State::Ready, "READY"},
    {Reader::State::Busy, "BUSY"},
    {Reader::State::Unknown, "UNKNOWN"},
};
}  // namespace

std::string_view reader_state_name(Reader::State state) {
  for (const auto& [s, name] : kReaderStates) {
    if (s == state) return name;
  }
  return "UNKNOWN";
}

std::optional<Reader::State> reader_state(std::string_view name) {
  for (const auto& [s, n] : kReaderStates) {
    if (n == name) return s;
  }
  return std::nullopt;
}

void Reader::sent() {
  if (state_ == State::Ready) state_ = State::Busy;
}

void Reader::go_unknown(std::vector<Outcome>& out, std::string why) {
  state_ = State::Unknown;
  buffer_.clear();
  result_length_.reset();
  out.push_back({Outcome::Kind::Unknown, std::move(why)});
}

std::vector<Reader::Outcome> Reader::feed(std::string_view bytes) {
  std::vector<Outcome> out;
  if (state_ == State::Unknown) return out;  // for good: nothing it says counts any more
  buffer_.append(bytes);
  while (!buffer_.empty() && state_ != State::Unknown) {
    if (state_ == State::Acknowledged) {
      if (buffer_.size() < kReady.size()) {
        if (std::string_view(kReady).substr(0, buffer_.size()) != buffer_) go_unknown(out, "wrote '" + buffer_ + "' where READY was due");
        break;
      }
      if (std::string_view(buffer_).substr(0, kReady.size()) != kReady) {
        go_unknown(out, "wrote '" + buffer_.substr(0, 40) + "' where READY was due");
        break;
      }
      buffer_.erase(0, kReady.size());
      state_ = State::Ready;
      out.push_back({Outcome::Kind::Ready, {}});
    } else if (state_ == State::Ready) {
      go_unknown(out, "wrote '" + buffer_.substr(0, 40) + "' while waiting for an event");
    } else if (!result_length_) {
      const auto nl = buffer_.find('\n');
      if (nl == std::string::npos) {
        if (buffer_.size() > kMaxResultLine) go_unknown(out, "a result line longer than 64 bytes");
        break;
      }
      const std::string line = buffer_.substr(0, nl);
      std::size_t length = 0;
      const std::string_view digits = std::string_view(line).substr(std::min(line.size(), kResult.size()));
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
      if (line.rfind(kResult, 0) != 0 || digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          length > kMaxResult) {
        go_unknown(out, "bad result line: '" + line.substr(0, 64) + "'");
        break;
      }
      buffer_.erase(0, nl + 1);
      result_length_ = length;
    } else {
      if (buffer_.size() < *result_length_) break;
      out.push_back({Outcome::Kind::Result, buffer_.substr(0, *result_length_)});
      buffer_.erase(0, *result_length_);
      result_length_.reset();
      state_ = State::Acknowledged;
    }
  }
  // RESULT 0: the empty result is complete without a byte more.
  if (state_ == State::Busy && result_length_ && *result_length_ == 0) {
    out.push_back({Outcome::Kind::Result, {}});
    result_length_.reset();
    state_ = State::Acknowledged;
  }
  return out;
}

}  // namespace konnect::listener
