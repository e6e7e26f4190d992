#pragma once
// Waits, on the loop, for the exit of a process that is not konnectd's child: a main process
// adopted through MAINPID= (daemon/supervision/supervisor.hpp) whose parent still waits for
// it, so its exit status goes to that parent and no SIGCHLD comes here. A pidfd becomes
// readable when its process exits; nothing polls. Learns only that it exited, never how
// (only the parent may wait). Destroying the watch cancels it. The readiness the loop reports
// is checked with a poll(2) of the pidfd itself before it counts: under load the loop was
// seen to report a pidfd readable whose process was alive (then it waits again).

#include "daemon/spawn/pidfd.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>

namespace konnect {

class ExitWatch {
 public:
  // Calls on_exit once, on the loop, when the process of `pidfd` has exited (at once if it
  // already has). The pidfd is duplicated: the caller keeps its own.
  ExitWatch(boost::asio::any_io_executor executor, const Pidfd& pidfd, std::function<void()> on_exit);
  ~ExitWatch();
  ExitWatch(const ExitWatch&) = delete;
  ExitWatch& operator=(const ExitWatch&) = delete;

 private:
  void wait();

  boost::asio::posix::stream_descriptor fd_;
  std::function<void()> on_exit_;
};

}  // namespace konnect
