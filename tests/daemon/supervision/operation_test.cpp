// Operation (start, stop, restart of a set of processes that a client waits on), driven on
// real Process state machines through the fake host: the test delivers exits and moves the
// clock, and calls check() where the Supervisor would after each batch of state changes.

#include "daemon/supervision/operation.hpp"
#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/operation_fixture.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <optional>
#include <vector>

using namespace konnect;
using namespace std::chrono_literals;

using OperationTest = test::OperationFixture;

// A start is complete only once every process is RUNNING (startsecs passed), not when it spawned.
TEST_F(OperationTest, StartCompletesWhenEveryProcessIsRunning) {
  Process* a = add("a", 1, 100ms);
  Process* b = add("b", 2, 300ms);
  auto op = make(Operation::Kind::Start, {a, b});
  EXPECT_FALSE(op->begin());
  host.fake_clock.advance(100ms);
  EXPECT_FALSE(op->check());
  EXPECT_FALSE(result);
  host.fake_clock.advance(200ms);
  ASSERT_TRUE(op->check());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ((*result)[0].name, "a");
  EXPECT_TRUE((*result)[0].ok());
  EXPECT_EQ((*result)[0].state, State::Running);
  EXPECT_TRUE((*result)[1].ok());
}

// A process that cannot start fails the operation for itself, with the spawn error, while
// the others succeed.
TEST_F(OperationTest, StartThatFailsIsASpawnErrorForThatProcess) {
  Process* a = add("a", 1);
  Process* b = add("b", 2);
  a->start();  // already RUNNING: a start of it succeeds at once
  host.fail_spawn = true;
  auto op = make(Operation::Kind::Start, {a, b});
  ASSERT_TRUE(op->begin());  // b went to FATAL at once (startretries 0)
  ASSERT_TRUE(result);
  EXPECT_TRUE((*result)[0].ok());
  ASSERT_FALSE((*result)[1].ok());
  EXPECT_EQ((*result)[1].state, State::Fatal);
  EXPECT_EQ((*result)[1].error->code, ErrorCode::SpawnError);
  EXPECT_EQ((*result)[1].error->message, "can't find command 'nope'");
}

// Stop goes by priority levels, highest number first: the lower level is signalled only once
// the higher one is down.
TEST_F(OperationTest, StopGoesLevelByLevelHighestPriorityFirst) {
  Process* low = add("low", 1);
  Process* high1 = add("high1", 5);
  Process* high2 = add("high2", 5);
  for (Process* p : {low, high1, high2}) p->start();
  auto op = make(Operation::Kind::Stop, {low, high1, high2});
  EXPECT_FALSE(op->begin());
  auto first = signalled(SIGTERM);
  std::sort(first.begin(), first.end());
  EXPECT_EQ(first, (std::vector<pid_t>{high1->pid(), high2->pid()}));
  high1->on_exit(test::killed(SIGTERM));
  EXPECT_FALSE(op->check());
  EXPECT_EQ(signalled(SIGTERM).size(), 2u) << "the lower level waits for the whole higher one";
  const pid_t low_pid = low->pid();
  high2->on_exit(test::killed(SIGTERM));
  EXPECT_FALSE(op->check());
  EXPECT_EQ(signalled(SIGTERM).back(), low_pid);
  low->on_exit(test::killed(SIGTERM));
  ASSERT_TRUE(op->check());
  ASSERT_TRUE(result);
  for (const auto& r : *result) {
    EXPECT_TRUE(r.ok()) << r.name;
    EXPECT_EQ(r.state, State::Stopped);
  }
}

// Restart is stop, then start, and succeeds once the new instance runs.
TEST_F(OperationTest, RestartStopsThenStarts) {
  Process* a = add("a", 1);
  a->start();
  const pid_t first = a->pid();
  auto op = make(Operation::Kind::Restart, {a});
  EXPECT_FALSE(op->begin());
  EXPECT_EQ(a->state(), State::Stopping);
  a->on_exit(test::killed(SIGTERM));
  ASSERT_TRUE(op->check());
  ASSERT_TRUE(result);
  EXPECT_TRUE((*result)[0].ok());
  EXPECT_EQ((*result)[0].state, State::Running);
  EXPECT_NE(a->pid(), first);
  EXPECT_EQ(host.spawns, 2);
}

// abort (shutdown): every process not yet done fails with the abort's code.
TEST_F(OperationTest, AbortFailsWhatIsNotDone) {
  Process* a = add("a", 1);
  Process* b = add("b", 2, 1000ms);
  auto op = make(Operation::Kind::Start, {a, b});
  EXPECT_FALSE(op->begin());
  op->abort(make_error(ErrorCode::ShuttingDown, "konnectd is shutting down"));
  ASSERT_TRUE(result);
  EXPECT_TRUE((*result)[0].ok());
  ASSERT_FALSE((*result)[1].ok());
  EXPECT_EQ((*result)[1].error->code, ErrorCode::ShuttingDown);
  EXPECT_TRUE(op->is_complete());
}

// drop (a reload removes a process): it is reported failed at once and the operation goes on
// with the others; the dropped process is never looked at again.
TEST_F(OperationTest, DroppedProcessFailsAndTheRestGoesOn) {
  Process* a = add("a", 1, 100ms);
  Process* b = add("b", 2, 100ms);
  auto op = make(Operation::Kind::Start, {a, b});
  EXPECT_FALSE(op->begin());
  op->drop(b, make_error(ErrorCode::Failed, "removed from the config by a reload"));
  EXPECT_FALSE(op->involves(b));
  processes.pop_back();  // b is destroyed
  host.fake_clock.advance(100ms);
  ASSERT_TRUE(op->check());
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ((*result)[0].name, "a");
  EXPECT_TRUE((*result)[0].ok());
  EXPECT_EQ((*result)[1].name, "b");
  ASSERT_FALSE((*result)[1].ok());
  EXPECT_EQ((*result)[1].error->message, "removed from the config by a reload");
}
