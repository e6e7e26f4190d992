#pragma once
// The one owner of wait*() (NOTES.md "Reaping"): on SIGCHLD it collects every exited child
// and hands each (pid, status) to its callback, then calls the batch callback once.
// Nothing else in the daemon may call wait*(). Event-driven through an asio::signal_set;
// it never polls.
//
// Each exit is delivered while the child is still a zombie (waitid with WNOWAIT) and reaped
// only after the callback returned, so the callback may still signal the child's process
// group: the pid cannot have been reused yet.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/signal_set.hpp>

#include <functional>
#include <sys/types.h>

namespace konnect {

class Reaper {
 public:
  using Callback = std::function<void(pid_t pid, int wait_status)>;

  Reaper(boost::asio::any_io_executor executor, Callback on_exit, std::function<void()> on_batch);
  // Starts listening; reaps anything that already exited.
  void start();
  // Stops listening (shutdown by cancellation).
  void cancel();
  // Reaps every exited child now (also called from the SIGCHLD handler).
  void reap_all();
  // Whether konnectd has a child at all, live or exited and not yet reaped (PID 1 at
  // shutdown: exit only once none is left).
  static bool has_children();

 private:
  void do_wait();

  boost::asio::signal_set signals_;
  Callback on_exit_;
  std::function<void()> on_batch_;
  bool cancelled_ = false;
};

}  // namespace konnect
