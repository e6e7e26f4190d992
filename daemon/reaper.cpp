#include "daemon/reaper.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>

namespace konnect {

Reaper::Reaper(boost::asio::any_io_executor executor, Callback on_exit)
    : signals_(std::move(executor), SIGCHLD), on_exit_(std::move(on_exit)) {}

void Reaper::start() {
  do_wait();
  reap_all();
}

void Reaper::cancel() {
  cancelled_ = true;
  boost::system::error_code ec;
  signals_.cancel(ec);
}

void Reaper::do_wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    // A completion already queued when cancel() ran still arrives with success: the flag,
    // not the error code, says whether to wait again.
    if (ec == boost::asio::error::operation_aborted || cancelled_) return;
    do_wait();
    reap_all();
  });
}

void Reaper::reap_all() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      on_exit_(pid, status);
      continue;
    }
    if (pid < 0 && errno == EINTR) continue;
    return;  // 0: children left but none exited; -1/ECHILD: no children
  }
}

}  // namespace konnect
