#pragma once
// One sd_notify(3) datagram from a program: newline-separated KEY=VALUE assignments.
// konnectd takes READY=1, STOPPING=1, WATCHDOG=1, STATUS=... and MAINPID=...; other keys
// (RELOADING, ERRNO, FDSTORE, ...) are ignored, as systemd ignores what it does not know.

#include "common/error.hpp"

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace konnect {

inline constexpr std::size_t kNotifyMaxDatagram = 4096;
inline constexpr std::size_t kNotifyMaxStatus = 256;  // longer STATUS= text is cut

struct NotifyMessage {
  bool ready = false;     // READY=1
  bool stopping = false;  // STOPPING=1
  bool watchdog = false;  // WATCHDOG=1
  bool watchdog_trigger = false;  // WATCHDOG=trigger: act as if the watchdog ran out
  std::optional<std::string> status;  // STATUS=, printable text only, cut at kNotifyMaxStatus
  std::optional<pid_t> mainpid;       // MAINPID=, a positive pid
  bool operator==(const NotifyMessage&) const = default;
};

// An error for a datagram that is not sd_notify text (a NUL byte, no KEY=VALUE line at all,
// a bad READY/MAINPID value, too long).
Result<NotifyMessage> parse_notify(std::string_view datagram);

}  // namespace konnect
