#pragma once
// The one owner of wait*() (NOTES.md "Reaping"): on SIGCHLD it loops
// waitpid(-1, WNOHANG) and hands each (pid, status) to its callback. Nothing else in the
// daemon may call wait*(). Event-driven through an asio::signal_set; it never polls.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/signal_set.hpp>

#include <functional>
#include <sys/types.h>

namespace konnect {

class Reaper {
 public:
  using Callback = std::function<void(pid_t pid, int wait_status)>;

  Reaper(boost::asio::any_io_executor executor, Callback on_exit);
  // Starts listening; reaps anything that already exited.
  void start();
  // Stops listening (shutdown by cancellation).
  void cancel();
  // Reaps every exited child now (also called from the SIGCHLD handler).
  void reap_all();

 private:
  void do_wait();

  boost::asio::signal_set signals_;
  Callback on_exit_;
  bool cancelled_ = false;
};

}  // namespace konnect
