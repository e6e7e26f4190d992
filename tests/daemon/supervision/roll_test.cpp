// Rolling restarts and depends_on (daemon/supervision/roll.hpp): the new instance is made only
// once the program's dependencies meet their conditions, what the same command restarts is
// waited for rather than judged by its old state, and a dependency that fails leaves the old
// instance running with no new one made. Driven on real Process state machines through the
// fake host, as the operation tests are.

#include "daemon/supervision/roll.hpp"
#include "tests/daemon/supervision/operation_fixture.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace konnect;
using namespace std::chrono_literals;

namespace {

struct RollTest : test::OperationFixture {
  struct Ended {
    Process* old;
    Process* fresh;
    bool keep_new;
  };
  std::vector<Ended> ended;

  std::unique_ptr<Roll> roll(std::vector<Process*> list) {
    Roll::Host roll_host{[this](Process& old) -> Process& {
                           processes.push_back(std::make_unique<Process>(host, std::make_shared<ProgramConfig>(old.config()),
                                                                         old.group(), old.name(), old.group_priority()));
                           return *processes.back();
                         },
                         [this](Process& old, Process& fresh, bool keep_new) { ended.push_back({&old, &fresh, keep_new}); },
                         lookup()};
    return std::make_unique<Roll>(std::move(roll_host), std::move(list),
                                  [this](std::vector<ProcessResult> r) { result = std::move(r); });
  }

  // A one-shot that ran and exited with `code`.
  Process* ran_once(const std::string& name, int code) {
    Process* p = add(name, 1);
    never_restart(p);
    p->start();
    p->on_exit(test::exited(code));
    return p;
  }
  Process* running(const std::string& name) {
    Process* p = add(name, 2);
    p->start();
    EXPECT_EQ(p->state(), State::Running);
    return p;
  }
};

TEST_F(RollTest, WaitsForADependencyTheSameCommandRunsAgainThenRolls) {
  Process* migrate = ran_once("migrate", 0);
  Process* web = running("web");
  depend(web, migrate, DependsOn::Completed);
  const pid_t old_pid = web->pid();
  pending.insert(migrate);  // the command's stop-start part has not started it yet
  const int spawns = host.spawns;

  auto r = roll({web});
  EXPECT_FALSE(r->begin());
  EXPECT_EQ(host.spawns, spawns) << "no new instance while the migration is still to run";
  EXPECT_TRUE(r->involves(web)) << "a stop meanwhile must interrupt the roll";

  pending.clear();
  migrate->start();  // the stop-start part runs it: RUNNING is not completed
  EXPECT_FALSE(r->check());
  EXPECT_EQ(host.spawns, spawns + 1) << "only the migration was spawned";

  migrate->on_exit(test::exited(0));
  EXPECT_FALSE(r->check());
  EXPECT_EQ(host.spawns, spawns + 2) << "the new instance once the migration completed";
  EXPECT_EQ(signalled(SIGTERM), std::vector<pid_t>{old_pid}) << "the new one is RUNNING: the old one is stopped";
  web->on_exit(test::killed(SIGTERM));
  ASSERT_TRUE(r->check());
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].keep_new);
  ASSERT_NE(result_of("web"), nullptr);
  EXPECT_TRUE(result_of("web")->ok());
}

TEST_F(RollTest, AFailedDependencyLeavesTheOldInstanceServingAndMakesNoNewOne) {
  Process* migrate = ran_once("migrate", 0);
  Process* web = running("web");
  depend(web, migrate, DependsOn::Completed);
  const pid_t old_pid = web->pid();
  pending.insert(migrate);
  const int spawns = host.spawns;

  auto r = roll({web});
  EXPECT_FALSE(r->begin());
  pending.clear();
  migrate->start();
  migrate->on_exit(test::exited(1));
  ASSERT_TRUE(r->check());
  EXPECT_EQ(host.spawns, spawns + 1) << "the migration only";
  EXPECT_TRUE(ended.empty()) << "no new instance was made";
  EXPECT_EQ(web->state(), State::Running);
  EXPECT_EQ(web->pid(), old_pid);
  for (const auto& [pid, sig] : host.signals) EXPECT_NE(pid < 0 ? -pid : pid, old_pid) << "signal " << sig;
  ASSERT_NE(result_of("web"), nullptr);
  ASSERT_FALSE(result_of("web")->ok());
  EXPECT_EQ(result_of("web")->error->message,
            "not restarted: its dependency migrate exited (exit status 1), not one of its exitcodes; pid " +
                std::to_string(old_pid) + " keeps running");
}

TEST_F(RollTest, ACompletedDependencyIsNotRunAgain) {
  Process* migrate = ran_once("migrate", 0);
  Process* web = running("web");
  depend(web, migrate, DependsOn::Completed);
  const int spawns = host.spawns;

  auto r = roll({web});
  EXPECT_FALSE(r->begin());
  EXPECT_EQ(host.spawns, spawns + 1) << "the new instance at once";
  EXPECT_EQ(migrate->state(), State::Exited);
  web->on_exit(test::killed(SIGTERM));
  ASSERT_TRUE(r->check());
  EXPECT_TRUE(result_of("web")->ok());
}

TEST_F(RollTest, AStopWhileWaitingEndsTheRollOfItWithoutANewInstance) {
  Process* db = add("db", 1, 100ms);
  Process* web = running("web");
  Process* worker = running("worker");
  depend(web, db);
  depend(worker, db);
  const int spawns = host.spawns;

  auto r = roll({web, worker});
  EXPECT_FALSE(r->begin());
  EXPECT_EQ(db->state(), State::Starting) << "a dependency that is down is started, as a start does";
  r->interrupt(web, make_error(ErrorCode::Failed, "interrupted by a stop"));
  EXPECT_FALSE(r->check()) << "the worker's turn: it waits for db too";
  EXPECT_EQ(host.spawns, spawns + 1) << "db only";
  host.fake_clock.advance(100ms);  // db RUNNING
  EXPECT_FALSE(r->check());
  EXPECT_EQ(host.spawns, spawns + 2) << "the worker's new instance";
  worker->on_exit(test::killed(SIGTERM));
  ASSERT_TRUE(r->check());
  ASSERT_NE(result_of("web"), nullptr);
  EXPECT_EQ(result_of("web")->error->message, "interrupted by a stop");
  EXPECT_TRUE(result_of("worker")->ok());
}

}  // namespace
