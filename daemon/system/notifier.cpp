#include "daemon/system/notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace konnect {

Notifier::Notifier() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path != nullptr) address_ = path;
  // These describe konnectd's own service; a supervised uWSGI must not see them and talk to
  // systemd as if it were the service (sd_notify's unset_environment).
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* for_pid = std::getenv("WATCHDOG_PID");
  if (usec != nullptr && (for_pid == nullptr || std::strtol(for_pid, nullptr, 10) == ::getpid())) {
    watchdog_ = std::chrono::microseconds(std::strtoll(usec, nullptr, 10));
    if (watchdog_.count() < 0) watchdog_ = std::chrono::microseconds(0);
  }
  for (const char* name : {"NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
    ::unsetenv(name);
  }
  if (address_.empty()) return;
  if (address_.size() >= sizeof(sockaddr_un::sun_path)) return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
}

Notifier::~Notifier() {
  if (fd_ >= 0) ::close(fd_);
}

void Notifier::export_environment() const {
  if (address_.empty()) return;
  ::setenv("NOTIFY_SOCKET", address_.c_str(), 1);
  if (watchdog_.count() > 0) {
    ::setenv("WATCHDOG_USEC", std::to_string(watchdog_.count()).c_str(), 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  }
}

void Notifier::notify(std::string_view state) {
  if (fd_ < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  const socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
}

}  // namespace konnect
