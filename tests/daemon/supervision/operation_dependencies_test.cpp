// depends_on in operations: a start starts dependencies first and waits for their condition,
// independent processes start at once, a failed dependency fails its dependents with its name,
// and a stop takes dependents down before what they depend on, whatever the priorities.

#include "tests/daemon/supervision/operation_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace konnect;
using namespace std::chrono_literals;

using OperationDependencies = test::OperationFixture;

TEST_F(OperationDependencies, StartStartsARunningDependencyFirstAndWaitsForIt) {
  Process* db = add("db", 999, 100ms);
  Process* web = add("web", 1);
  Process* other = add("other", 2, 100ms);
  depend(web, db);
  auto op = make(Operation::Kind::Start, {web, other});
  EXPECT_FALSE(op->begin());
  EXPECT_EQ(db->state(), State::Starting) << "a dependency that is down is started";
  EXPECT_EQ(other->state(), State::Starting) << "what does not depend on it starts at once";
  EXPECT_EQ(web->state(), State::Stopped);
  EXPECT_TRUE(op->will_start(web));
  host.fake_clock.advance(100ms);
  ASSERT_TRUE(op->check());  // db RUNNING now: web is spawned (startsecs 0: RUNNING at once)
  EXPECT_EQ(web->state(), State::Running);
  ASSERT_EQ(result->size(), 2u) << "the result is of what was asked for";
  EXPECT_TRUE(result_of("web")->ok());
  EXPECT_TRUE(result_of("other")->ok());
}

TEST_F(OperationDependencies, CompletedDependencyRunsOnceAndIsNotRunAgain) {
  Process* migrate = add("migrate", 999);
  Process* web = add("web", 1);
  depend(web, migrate, DependsOn::Completed);
  auto op = make(Operation::Kind::Start, {web});
  EXPECT_FALSE(op->begin());
  EXPECT_EQ(migrate->state(), State::Running);
  EXPECT_FALSE(op->check());
  EXPECT_EQ(web->state(), State::Stopped) << "running is not completed";
  migrate->on_exit(test::exited(0));
  ASSERT_TRUE(op->check());
  EXPECT_EQ(web->state(), State::Running);
  EXPECT_TRUE(result_of("web")->ok());

  // Started again later: the migration has completed already and is not run again.
  web->stop();
  web->on_exit(test::killed(SIGTERM));
  const int spawns = host.spawns;
  result.reset();
  op = make(Operation::Kind::Start, {web});
  op->begin();
  ASSERT_TRUE(op->check());
  EXPECT_TRUE(result_of("web")->ok());
  EXPECT_EQ(host.spawns, spawns + 1);
  EXPECT_EQ(migrate->state(), State::Exited);
}

TEST_F(OperationDependencies, FailedDependencyFailsItsDependentsNamingIt) {
  Process* migrate = add("migrate", 1);
  never_restart(migrate);
  Process* web = add("web", 2);
  Process* proxy = add("proxy", 3);
  depend(web, migrate, DependsOn::Completed);
  depend(proxy, web);
  auto op = make(Operation::Kind::Start, {web, proxy});
  EXPECT_FALSE(op->begin());
  migrate->on_exit(test::exited(3));
  ASSERT_TRUE(op->check());
  ASSERT_FALSE(result_of("web")->ok());
  EXPECT_EQ(result_of("web")->error->message,
            "not started: its dependency migrate exited (exit status 3), not one of its exitcodes");
  EXPECT_EQ(result_of("web")->error->code, ErrorCode::Failed) << "web did not fail to spawn";
  ASSERT_FALSE(result_of("proxy")->ok());
  EXPECT_EQ(result_of("proxy")->error->message,
            "not started: its dependency web was not started: its dependency migrate exited (exit status 3), not "
            "one of its exitcodes");
  EXPECT_EQ(web->state(), State::Stopped);
  EXPECT_EQ(proxy->state(), State::Stopped);
  EXPECT_TRUE(web->has_settled()) << "readiness does not wait for what will not start";
}

TEST_F(OperationDependencies, FatalDependencyIsNamedWithItsError) {
  Process* db = add("db", 1);
  Process* web = add("web", 2);
  depend(web, db);
  host.fail_spawn = true;
  auto op = make(Operation::Kind::Start, {web});
  op->begin();
  ASSERT_TRUE(op->check());
  EXPECT_EQ(db->state(), State::Fatal);
  EXPECT_EQ(result_of("web")->error->message, "not started: its dependency db is FATAL: can't find command 'nope'");
  EXPECT_EQ(host.spawns, 0);
}

// web has the lower priority number, so by priority alone it would be stopped last.
TEST_F(OperationDependencies, StopTakesDependentsDownFirst) {
  Process* web = add("web", 1);
  Process* db = add("db", 999);
  Process* cache = add("cache", 500);
  depend(web, db);
  for (Process* p : {web, db, cache}) p->start();
  auto op = make(Operation::Kind::Stop, {web, cache, db});
  EXPECT_FALSE(op->begin());
  // The first wave: the highest priority of those nothing (still up) depends on.
  EXPECT_EQ(signalled(SIGTERM), (std::vector<pid_t>{cache->pid()}));
  cache->on_exit(test::killed(SIGTERM));
  EXPECT_FALSE(op->check());
  EXPECT_EQ(signalled(SIGTERM).back(), web->pid()) << "db waits for web";
  EXPECT_EQ(signalled(SIGTERM).size(), 2u);
  const pid_t db_pid = db->pid();
  web->on_exit(test::killed(SIGTERM));
  EXPECT_FALSE(op->check());
  EXPECT_EQ(signalled(SIGTERM).back(), db_pid);
  db->on_exit(test::killed(SIGTERM));
  ASSERT_TRUE(op->check());
  for (const auto& r : *result) EXPECT_TRUE(r.ok()) << r.name;
}

// A reload removes the dependency while the start waits for it.
TEST_F(OperationDependencies, DroppedDependencyFailsWhatWaitsForIt) {
  Process* db = add("db", 1, 100ms);
  Process* web = add("web", 2);
  depend(web, db);
  auto op = make(Operation::Kind::Start, {web});
  EXPECT_FALSE(op->begin());
  db->stop();
  op->drop(db, make_error(ErrorCode::Failed, "removed from the config by a reload"));
  dependencies.clear();
  processes.erase(processes.begin());  // db is destroyed
  ASSERT_TRUE(op->check());
  EXPECT_EQ(result_of("web")->error->message, "not started: a dependency was removed from the config by a reload");
}
