#pragma once
// systemd's sd_notify datagram protocol (NOTES.md "Control socket"): one datagram of
// "KEY=VALUE" lines to the socket named by $NOTIFY_SOCKET ('@' = abstract namespace).
// Without NOTIFY_SOCKET every call does nothing. WATCHDOG_USEC (for this pid, if
// WATCHDOG_PID says) gives the watchdog interval: the Daemon sends WATCHDOG=1 from its
// loop at half of it, so a loop that hangs gets konnectd restarted.

#include <chrono>
#include <string>
#include <string_view>

namespace konnect {

class Notifier {
 public:
  // Reads NOTIFY_SOCKET from the environment.
  Notifier();
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // 0 when systemd set no watchdog for us.
  std::chrono::microseconds watchdog_interval() const { return fd_ >= 0 ? watchdog_ : std::chrono::microseconds(0); }
  // Sends e.g. "READY=1\nSTATUS=Running 3 programs". Non-blocking; failures are ignored.
  void notify(std::string_view state);
  // Before konnectd execs its next image (reexec): NOTIFY_SOCKET and the watchdog settings
  // back in the environment (taken out at start, so programs do not see them), for the next
  // image's Notifier. The pid stays, so WATCHDOG_PID holds.
  void export_environment() const;

 private:
  int fd_ = -1;
  std::string address_;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace konnect
