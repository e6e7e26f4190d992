#include "daemon/spawn/exit_watch.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace konnect {

ExitWatch::ExitWatch(boost::asio::any_io_executor executor, const Pidfd& pidfd, std::function<void()> on_exit)
    : fd_(std::move(executor)) {
  const int fd = pidfd.valid() ? ::fcntl(pidfd.fd(), F_DUPFD_CLOEXEC, 0) : -1;
  if (fd < 0) return;  // no pidfd: the exit is learnt when the process is reaped, if ever
  fd_.assign(fd);
  // Cancellation (the destructor) completes the wait with an error: on_exit is not called.
  fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                 [on_exit = std::move(on_exit)](const boost::system::error_code& ec) {
                   if (!ec) on_exit();
                 });
}

ExitWatch::~ExitWatch() {
  boost::system::error_code ignored;
  fd_.close(ignored);
}

}  // namespace konnect
