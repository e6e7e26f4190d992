// CheckLoop on a fake clock with a probe the test answers: the first attempt after the
// first delay, the next one an interval after each answer, nothing armed while an attempt is
// under way, and a loop its own result destroys stops there.

#include "daemon/health/check_loop.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace konnect {
namespace {

using namespace std::chrono_literals;

struct FakeProbe : Probe {
  int* runs;
  Duration* last_limit;
  Done* pending;
  FakeProbe(int* r, Duration* l, Done* p) : runs(r), last_limit(l), pending(p) {}
  void run(Duration limit, Done done) override {
    ++*runs;
    *last_limit = limit;
    *pending = std::move(done);
  }
};

struct CheckLoopTest : ::testing::Test {
  test::FakeClock clock;
  int runs = 0;
  Duration limit{0};
  Probe::Done pending;
  std::vector<bool> results;
  std::optional<CheckLoop> loop;

  void make(Duration interval, std::function<void(Result<void>)> extra = nullptr) {
    loop.emplace(clock, std::make_unique<FakeProbe>(&runs, &limit, &pending), interval, 300ms,
                 [this, extra](Result<void> r) {
                   results.push_back(bool(r));
                   if (extra) extra(r);
                 });
  }
  void answer(bool ok) {
    auto done = std::move(pending);
    pending = nullptr;
    done(ok ? Result<void>{} : Result<void>(make_error(ErrorCode::Failed, "no")));
  }
};

TEST_F(CheckLoopTest, RunsAtTheFirstDelayThenAnIntervalAfterEachAnswer) {
  make(1s);
  loop->start(5s);
  clock.advance(4999ms);
  EXPECT_EQ(runs, 0);
  clock.advance(1ms);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(limit, 300ms);
  EXPECT_EQ(clock.armed(), 0u) << "nothing is armed while the probe runs";
  clock.advance(10s);
  EXPECT_EQ(runs, 1);
  answer(false);
  EXPECT_EQ(clock.armed(), 1u);
  clock.advance(999ms);
  EXPECT_EQ(runs, 1);
  clock.advance(1ms);
  EXPECT_EQ(runs, 2);
  answer(true);
  EXPECT_EQ(results, (std::vector<bool>{false, true}));
}

TEST_F(CheckLoopTest, ZeroFirstDelayRunsAtOnce) {
  make(1s);
  loop->start(0ms);
  EXPECT_EQ(runs, 1);
}

TEST_F(CheckLoopTest, AResultMayDestroyTheLoop) {
  make(1s, [this](const Result<void>& r) {
    if (r) loop.reset();
  });
  loop->start(0ms);
  answer(true);
  EXPECT_FALSE(loop.has_value());
  EXPECT_EQ(clock.armed(), 0u);
  clock.advance(10s);
  EXPECT_EQ(runs, 1);
}

TEST_F(CheckLoopTest, DestroyedLoopArmsNothing) {
  make(1s);
  loop->start(1s);
  EXPECT_EQ(clock.armed(), 1u);
  loop.reset();
  EXPECT_EQ(clock.armed(), 0u);
}

}  // namespace
}  // namespace konnect
