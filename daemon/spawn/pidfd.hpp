#pragma once
// A pidfd (pidfd_open(2), Linux 5.3): a file descriptor that names one process for as long
// as it is open. A signal sent through it reaches that process or nobody, never a newer
// process that got the same pid (NOTES.md "Reaping": pidfds only to signal; the Reaper
// alone waits). Move-only; closes on destruction.

#include <sys/types.h>

namespace konnect {

class Pidfd {
 public:
  Pidfd() = default;
  // Opens a pidfd for pid; invalid() if the process is gone or the kernel has none.
  static Pidfd open(pid_t pid);
  // A pidfd a previous image opened (konnectctl reexec); -1 gives an invalid one.
  static Pidfd adopt(int fd) { return Pidfd(fd); }
  ~Pidfd();
  Pidfd(Pidfd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Pidfd& operator=(Pidfd&& other) noexcept;
  Pidfd(const Pidfd&) = delete;
  Pidfd& operator=(const Pidfd&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // pidfd_send_signal(2) to the process. Returns 0 or the errno (ESRCH: it has exited).
  int signal(int signo) const;
  // To the process group whose id is this process's pid (PIDFD_SIGNAL_PROCESS_GROUP,
  // Linux 6.9). EINVAL on older kernels: the caller falls back to kill(-pgid) while the
  // leader is its unreaped child, which holds the group id.
  int signal_group(int signo) const;

 private:
  explicit Pidfd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace konnect
