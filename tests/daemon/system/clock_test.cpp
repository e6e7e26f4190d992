// AsioClock's deadlines on a real loop: one firing per arm, none after cancel, re-arm or
// destruction, even when the completion was already queued.

#include "daemon/system/clock.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <ctime>
#include <string>
#include <thread>
#include <vector>

using namespace konnect;
using namespace std::chrono_literals;

TEST(AsioClock, DeadlineFiresOnceAfterItsTime) {
  boost::asio::io_context io;
  AsioClock clock(io.get_executor());
  auto d = clock.make_deadline();
  int fired = 0;
  const auto t0 = clock.now();
  d->arm(5ms, [&] { ++fired; });
  io.run();
  EXPECT_EQ(fired, 1);
  EXPECT_GE(clock.now() - t0, 5ms);
  EXPECT_NEAR(static_cast<double>(clock.unix_now()), static_cast<double>(std::time(nullptr)), 1.0);
}

TEST(AsioClock, CancelReArmAndDestructionMeanTheOldFiringNeverRuns) {
  boost::asio::io_context io;
  AsioClock clock(io.get_executor());
  auto cancelled = clock.make_deadline();
  auto rearmed = clock.make_deadline();
  auto destroyed = clock.make_deadline();
  std::vector<std::string> fired;
  cancelled->arm(1ms, [&] { fired.push_back("cancelled"); });
  rearmed->arm(1ms, [&] { fired.push_back("first arm"); });
  destroyed->arm(1ms, [&] { fired.push_back("destroyed"); });
  cancelled->cancel();
  rearmed->arm(2ms, [&] { fired.push_back("second arm"); });
  destroyed.reset();
  io.run();
  EXPECT_EQ(fired, (std::vector<std::string>{"second arm"}));
}

// Two deadlines due in the same loop turn: both completions are queued before either runs.
// The first cancels, re-arms or destroys the second, whose queued success must not fire.
TEST(AsioClock, AQueuedCompletionOfACancelledDeadlineDoesNotFire) {
  for (int how = 0; how < 3; ++how) {
    boost::asio::io_context io;
    AsioClock clock(io.get_executor());
    auto first = clock.make_deadline();
    auto second = clock.make_deadline();
    std::vector<std::string> fired;
    first->arm(1ms, [&] {
      fired.push_back("first");
      if (how == 0) second->cancel();
      if (how == 1) second->arm(1h, [&] { fired.push_back("re-armed"); });
      if (how == 2) second.reset();
    });
    second->arm(1ms, [&] { fired.push_back("second"); });
    std::this_thread::sleep_for(5ms);  // both due before the loop looks
    io.run_for(50ms);
    EXPECT_EQ(fired, (std::vector<std::string>{"first"})) << "how " << how;
  }
}
