// ProcessTable: one index of instances by pid and spawn id, and signals that reach only a
// main process konnectd started (a real child, so the pidfd and kill(2) paths are real).

#include "daemon/supervision/process_table.hpp"
#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/fake_host.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>

using namespace konnect;

namespace {

std::unique_ptr<Process> make_process(test::FakeHost& host, const std::string& name) {
  auto config = std::make_shared<ProgramConfig>();
  config->name = name;
  return std::make_unique<Process>(host, config, name, name, 999);
}

}  // namespace

TEST(ProcessTableTest, IndexesMainProcessesByPidAndSpawnIdUntilTheyExit) {
  test::FakeHost host;
  auto a = make_process(host, "a");
  auto b = make_process(host, "b");
  ProcessTable table;
  table.add(*a, {nullptr, 1});
  table.add(*b, {nullptr, 2});
  EXPECT_EQ(table.place_of(*b).instance, 2u);
  const auto sa = table.next_spawn_id();
  const auto sb = table.next_spawn_id();
  EXPECT_NE(sa, sb);
  table.started(*a, 4242, sa);
  table.started(*b, 4243, sb);
  EXPECT_EQ(table.find(4242), a.get());
  EXPECT_TRUE(table.is_main(4243));
  EXPECT_TRUE(table.is_live(sa));
  EXPECT_EQ(table.find(4244), nullptr);
  table.exited(4242);
  EXPECT_EQ(table.find(4242), nullptr);
  EXPECT_FALSE(table.is_live(sa));
  EXPECT_TRUE(table.is_live(sb));
  table.remove(*b);  // a reload removed b: its main goes from the index too
  EXPECT_FALSE(table.is_main(4243));
  EXPECT_FALSE(table.is_live(sb));
}

TEST(ProcessTableTest, SignalsReachTheMainProcessAndNeverEveryone) {
  test::FakeHost host;
  auto a = make_process(host, "a");
  ProcessTable table;
  table.add(*a, {nullptr, 1});
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setsid();
    ::pause();
    ::_exit(0);
  }
  table.started(*a, child, table.next_spawn_id());
  EXPECT_EQ(table.signal(0, SIGTERM), EINVAL);
  EXPECT_EQ(table.signal(-1, SIGTERM), EINVAL);
  EXPECT_EQ(table.signal(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  // Reaped but not yet forgotten: the pidfd says the process is gone, which is no error.
  EXPECT_EQ(table.signal(child, SIGTERM), 0);
  table.exited(child);
}

TEST(ProcessTableTest, FollowsAMainPidAndSignalsTheGroupItIsIn) {
  test::FakeHost host;
  auto a = make_process(host, "a");
  ProcessTable table;
  table.add(*a, {nullptr, 1});
  // The main leads its group; its child (the daemon it says MAINPID= of) is in that group.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t main = ::fork();
  ASSERT_GE(main, 0);
  if (main == 0) {
    ::setsid();
    const pid_t daemon = ::fork();
    if (daemon == 0) {
      for (;;) ::pause();
    }
    (void)!::write(ready[1], &daemon, sizeof daemon);
    for (;;) ::pause();
  }
  pid_t daemon = 0;
  ASSERT_EQ(::read(ready[0], &daemon, sizeof daemon), static_cast<ssize_t>(sizeof daemon));
  ::close(ready[0]);
  ::close(ready[1]);
  const auto spawn_id = table.next_spawn_id();
  table.started(*a, main, spawn_id);

  EXPECT_FALSE(table.follow(*a, ::getpid() + 100000000));  // no such process
  ASSERT_TRUE(table.follow(*a, daemon));
  EXPECT_EQ(table.find(daemon), a.get());
  EXPECT_FALSE(table.is_main(main)) << "the old main is a descendant now";
  EXPECT_TRUE(table.is_live(spawn_id)) << "same instance, same spawn id";
  // The daemon does not lead a group: a group signal goes to the one it is in, with the old main.
  EXPECT_EQ(table.signal(-daemon, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(main, &status, 0), main);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  table.exited(daemon);
  EXPECT_FALSE(table.is_live(spawn_id));
}
