#include "daemon/spawn/reaper.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>

namespace konnect {
namespace {

// The wait(2)-style status of a waitid() result, so callers use the W* macros.
int wait_status_of(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED:
      return (info.si_status & 0xff) << 8;
    case CLD_KILLED:
      return info.si_status & 0x7f;
    case CLD_DUMPED:
      return (info.si_status & 0x7f) | 0x80;
    default:
      return 0;
  }
}

}  // namespace

Reaper::Reaper(boost::asio::any_io_executor executor, Callback on_exit, std::function<void()> on_batch)
    : signals_(std::move(executor), SIGCHLD), on_exit_(std::move(on_exit)), on_batch_(std::move(on_batch)) {}

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

bool Reaper::has_children() {
  siginfo_t info{};
  int r;
  while ((r = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT)) < 0 && errno == EINTR) {
  }
  return r == 0;  // -1 with ECHILD: none
}

void Reaper::reap_all() {
  bool any = false;
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: no children
    }
    if (info.si_pid == 0) break;  // children left, none exited
    const pid_t pid = info.si_pid;
    on_exit_(pid, wait_status_of(info));
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) < 0 && errno == EINTR) {
    }
    any = true;
  }
  if (any && on_batch_) on_batch_();
}

}  // namespace konnect
