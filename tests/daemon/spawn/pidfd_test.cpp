// Pidfd: a signal reaches the process it was opened for or nobody. ExitWatch: a pidfd tells,
// on the loop, when its process exits, without waiting for it.

#include "daemon/spawn/pidfd.hpp"
#include "daemon/spawn/exit_watch.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>

using namespace konnect;

namespace {

// A child that sleeps until killed.
pid_t sleeper() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (;;) ::pause();
  }
  return pid;
}

// pid is a zombie or gone (/proc/PID/stat says Z or X, or nothing).
bool exited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z' || text[paren + 2] == 'X';
}

}  // namespace

TEST(Pidfd, SignalReachesTheProcessUntilItIsReaped) {
  const pid_t pid = sleeper();
  const Pidfd fd = Pidfd::open(pid);
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fd.signal(0), 0);
  EXPECT_EQ(fd.signal(SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // Reaped: the pid is free for anyone, but this pidfd never reaches a newcomer.
  EXPECT_EQ(fd.signal(SIGKILL), ESRCH);
}

TEST(Pidfd, OpenFailsForNoProcess) {
  const pid_t pid = sleeper();
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  EXPECT_FALSE(Pidfd::open(pid).valid());
  Pidfd none;
  EXPECT_EQ(none.signal(0), EBADF);
}

// The group of a leader that exited, even once it is reaped, is still reached, as
// Process::on_exit needs; kernels before 6.9 say EINVAL and the caller uses kill(-pgid).
TEST(Pidfd, GroupSignalReachesMembersOfADeadLeader) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t leader = ::fork();
  if (leader == 0) {
    ::setpgid(0, 0);
    const pid_t member = ::fork();
    if (member == 0) {
      for (;;) ::pause();  // a member of the leader's group, reparented when it exits
    }
    ssize_t ignored = ::write(pipe_fds[1], &member, sizeof member);
    (void)ignored;
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  pid_t member = 0;
  ASSERT_EQ(::read(pipe_fds[0], &member, sizeof member), static_cast<ssize_t>(sizeof member));
  ::close(pipe_fds[0]);
  const Pidfd fd = Pidfd::open(leader);
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(::waitpid(leader, nullptr, 0), leader);  // the leader is gone for good
  const int err = fd.signal_group(0);
  if (err == EINVAL) {
    ::kill(member, SIGKILL);
    GTEST_SKIP() << "kernel before 6.9: no PIDFD_SIGNAL_PROCESS_GROUP";
  }
  EXPECT_EQ(err, 0) << "the member is still in the group";
  const Pidfd member_fd = Pidfd::open(member);
  EXPECT_EQ(fd.signal_group(SIGKILL), 0);
  // The member dies (its new parent reaps it whenever it likes; dead is enough here).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!exited(member) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(exited(member));
  if (!exited(member)) member_fd.signal(SIGKILL);
}

TEST(ExitWatch, TellsWhenAProcessExitsWithoutWaitingForIt) {
  boost::asio::io_context io;
  const pid_t pid = sleeper();
  const Pidfd fd = Pidfd::open(pid);
  bool told = false;
  ExitWatch watch(io.get_executor(), fd, [&] { told = true; });
  io.poll();
  EXPECT_FALSE(told) << "alive";
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  io.run_for(std::chrono::seconds(5));  // returns once the watch completed: nothing else is queued
  EXPECT_TRUE(told);
  EXPECT_TRUE(exited(pid)) << "a zombie still: the watch never waits";
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST(ExitWatch, IsCancelledWhenDestroyed) {
  boost::asio::io_context io;
  const pid_t pid = sleeper();
  const Pidfd fd = Pidfd::open(pid);
  bool told = false;
  {
    ExitWatch watch(io.get_executor(), fd, [&] { told = true; });
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  io.run_for(std::chrono::seconds(1));
  EXPECT_FALSE(told);
}
