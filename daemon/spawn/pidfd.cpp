#include "daemon/spawn/pidfd.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace konnect {
namespace {

// Debian 12's <linux/pidfd.h> predates it (uapi value since Linux 6.9).
constexpr unsigned kSignalProcessGroup = 1U << 2;

int send(int fd, int signo, unsigned flags) {
  if (::syscall(SYS_pidfd_send_signal, fd, signo, nullptr, flags) == 0) return 0;
  return errno;
}

}  // namespace

Pidfd Pidfd::open(pid_t pid) {
  const long fd = ::syscall(SYS_pidfd_open, pid, 0U);  // close-on-exec by definition
  return Pidfd(fd < 0 ? -1 : static_cast<int>(fd));
}

Pidfd::~Pidfd() {
  if (fd_ >= 0) ::close(fd_);
}

Pidfd& Pidfd::operator=(Pidfd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

int Pidfd::signal(int signo) const { return fd_ < 0 ? EBADF : send(fd_, signo, 0); }

int Pidfd::signal_group(int signo) const { return fd_ < 0 ? EBADF : send(fd_, signo, kSignalProcessGroup); }

}  // namespace konnect
