// TargetIndex: priority order and SPEC.md's target names (NAME, GROUP:*, GROUP:NAME, all).

#include "daemon/supervision/target_index.hpp"
#include "daemon/supervision/process.hpp"
#include "tests/daemon/supervision/fake_host.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using namespace konnect;

namespace {

struct TargetIndexTest : ::testing::Test {
  test::FakeHost host;
  std::vector<std::unique_ptr<Process>> processes;
  TargetIndex index;

  // Adds the numprocs copies of program `program` in `group` (the program's own when equal).
  void add(const std::string& group, const std::string& program, std::vector<std::string> names, int group_priority,
           int priority) {
    auto config = std::make_shared<ProgramConfig>();
    config->name = program;
    config->priority = priority;
    for (const auto& name : names) {
      processes.push_back(std::make_unique<Process>(host, config, group, name, group_priority));
    }
  }
  void build() {
    std::vector<Process*> all;
    for (auto& p : processes) all.push_back(p.get());
    index.rebuild(all);
  }
  std::vector<std::string> names(const Result<std::vector<Process*>>& r) const {
    std::vector<std::string> out;
    if (r) {
      for (const Process* p : *r) out.push_back(p->namespec());
    }
    return out;
  }

  TargetIndexTest() {
    add("web", "web", {"web"}, 900, 900);
    add("workers", "celery", {"celery_00", "celery_01"}, 100, 5);
    add("workers", "beat", {"beat"}, 100, 1);
    build();
  }
};

}  // namespace

TEST_F(TargetIndexTest, OrderIsGroupPriorityThenPriorityThenName) {
  std::vector<std::string> order;
  for (const Process* p : index.ordered()) order.push_back(p->namespec());
  EXPECT_EQ(order, (std::vector<std::string>{"workers:beat", "workers:celery_00", "workers:celery_01", "web"}));
}

TEST_F(TargetIndexTest, NamesResolveToTheirProcessesInPriorityOrderEachOnce) {
  EXPECT_EQ(names(index.resolve({"web"})), (std::vector<std::string>{"web"}));
  EXPECT_EQ(names(index.resolve({"workers"})),
            (std::vector<std::string>{"workers:beat", "workers:celery_00", "workers:celery_01"}));
  EXPECT_EQ(names(index.resolve({"celery"})), (std::vector<std::string>{"workers:celery_00", "workers:celery_01"}));
  EXPECT_EQ(names(index.resolve({"workers:celery_01", "celery_00"})),
            (std::vector<std::string>{"workers:celery_00", "workers:celery_01"}));
  EXPECT_EQ(names(index.resolve({"web", "workers:*", "web"})),
            (std::vector<std::string>{"workers:beat", "workers:celery_00", "workers:celery_01", "web"}));
  EXPECT_EQ(index.resolve({"all"})->size(), 4u);
}

TEST_F(TargetIndexTest, ATargetThatNamesNothingIsNoSuchProcess) {
  for (const std::string target : {"nope", "workers:nope", "nope:*", "web:celery_00"}) {
    auto r = index.resolve({"web", target});
    ASSERT_FALSE(r) << target;
    EXPECT_EQ(r.error().code, ErrorCode::NoSuchProcess);
    EXPECT_EQ(r.error().message, "no such process or group: " + target);
  }
}
