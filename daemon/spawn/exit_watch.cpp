#include "daemon/spawn/exit_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace konnect {

ExitWatch::ExitWatch(boost::asio::any_io_executor executor, const Pidfd& pidfd, std::function<void()> on_exit)
    : fd_(std::move(executor)) {
  const int fd = pidfd.valid() ? ::fcntl(pidfd.fd(), F_DUPFD_CLOEXEC, 0) : -1;
  if (fd < 0) return;  // no pidfd: the exit is learnt when the process is reaped, if ever
  fd_.assign(fd);
  on_exit_ = std::move(on_exit);
  wait();
}

void ExitWatch::wait() {
  // Cancellation (the destructor) completes the wait with an error: on_exit is not called.
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec) return;
    pollfd p{fd_.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) {
      // on_exit may destroy this watch, and with it on_exit_: it runs from a local.
      const auto on_exit = std::move(on_exit_);
      on_exit();
      return;
    }
    wait();
  });
}

ExitWatch::~ExitWatch() {
  boost::system::error_code ignored;
  fd_.close(ignored);
}

}  // namespace konnect
