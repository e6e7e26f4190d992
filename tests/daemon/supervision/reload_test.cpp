// Reload on a Supervisor whose programs are not running (autostart = false, so nothing is
// spawned): the plan's steps in order on a real io_context, what is kept (the same Process,
// settings applied in place), made anew, added and removed, and when a plan is refused.

#include "daemon/supervision/supervisor.hpp"

#include "common/config/config_loader.hpp"
#include "common/config/reload_plan.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace konnect;

namespace {

Config config_of(const std::string& programs) {
  return load_config_from_string("[konnectd]\nlog_file = \"-\"\nlog_dir = \"/tmp/konnect-reload-test\"\n" + programs,
                                 "/etc/konnect/konnectd.toml")
      .value();
}

std::string program(const std::string& name, const std::string& extra = "") {
  return "[program." + name + "]\ncommand = [\"/bin/sleep\", \"60\"]\nautostart = false\n" + extra;
}

struct ReloadTest : ::testing::Test {
  boost::asio::io_context io;
  // The pump's thread posts its answers back: the loop waits for them instead of running dry.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work = boost::asio::make_work_guard(io);
  test::FakeClock clock;
  EventBus bus{clock};
  Config running = config_of(program("web", "priority = 10\n") + program("old") + program("cmd"));
  std::optional<Supervisor> supervisor;

  ReloadTest() {
    spdlog::set_level(spdlog::level::off);
    supervisor.emplace(io.get_executor(), running, clock, bus);
  }

  // Applies the plan from running to next and runs the loop until it is done.
  Result<ProcessResults> reload_to(const Config& next) {
    auto plan = plan_reload(running, next, {});
    EXPECT_TRUE(plan);
    std::optional<Result<ProcessResults>> result;
    auto accepted = supervisor->apply(std::move(*plan), [&](Result<ProcessResults> r) { result = std::move(r); });
    EXPECT_TRUE(accepted);
    EXPECT_TRUE(supervisor->is_reloading());
    for (int i = 0; i < 1000 && !result; ++i) io.run_one_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(result) << "the reload never finished";
    io.poll();  // the Supervisor lets go of the finished Reload from a handler of its own
    EXPECT_FALSE(supervisor->is_reloading());
    running = next;
    return result ? std::move(*result) : Result<ProcessResults>(make_error(ErrorCode::Internal, "none"));
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Process* p : supervisor->processes()) out.push_back(p->namespec());
    return out;
  }
  Process* find(const std::string& name) const {
    auto r = supervisor->resolve({name});
    return r && r->size() == 1 ? r->front() : nullptr;
  }
};

}  // namespace

TEST_F(ReloadTest, KeepsUpdatesMakesAnewAddsAndRemoves) {
  Process* web = find("web");
  Process* cmd = find("cmd");
  ASSERT_TRUE(web && cmd);
  const Config next = config_of(program("web", "priority = 1000\n") + program("fresh", "numprocs = 2\npriority = 1\n") +
                                "[program.cmd]\ncommand = [\"/bin/sleep\", \"61\"]\nautostart = false\n");
  auto result = reload_to(next);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->empty()) << "nothing autostarts, so nothing was started";
  EXPECT_EQ(names(), (std::vector<std::string>{"fresh:fresh_00", "fresh:fresh_01", "cmd", "web"}));
  EXPECT_EQ(find("web"), web) << "a settings change keeps the process";
  EXPECT_EQ(find("web")->config().priority, 1000);  // and it moved behind cmd (999)
  EXPECT_NE(find("cmd"), nullptr);
  EXPECT_EQ(find("cmd")->config().command.back(), "61") << "a new command makes the process anew";
  EXPECT_FALSE(supervisor->resolve({"old"}));
}

TEST_F(ReloadTest, OneAtATimeAndNoneWhileShuttingDown) {
  auto plan = plan_reload(running, config_of(program("web")), {});
  ASSERT_TRUE(plan);
  ReloadPlan second = *plan;
  bool done = false;
  ASSERT_TRUE(supervisor->apply(std::move(*plan), [&](Result<ProcessResults>) { done = true; }));
  auto refused = supervisor->apply(std::move(second), [](Result<ProcessResults>) { ADD_FAILURE() << "refused: never called"; });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "a reload is in progress; try again when it is done");
  for (int i = 0; i < 1000 && !done; ++i) io.run_one_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(done);
  io.poll();

  bool stopped = false;
  supervisor->shutdown([&] { stopped = true; });
  auto late = supervisor->apply(*plan_reload(running, config_of(program("web")), {}), [](Result<ProcessResults>) {
    ADD_FAILURE() << "refused: never called";
  });
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::ShuttingDown);
  for (int i = 0; i < 100 && !stopped; ++i) io.run_one_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(stopped);
}
