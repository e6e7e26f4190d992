// LogThrottle: one line per window, the rest summed up per key; time comes from the test.

#include "daemon/control/log_throttle.hpp"

#include <gtest/gtest.h>

using konnect::LogThrottle;
using namespace std::chrono_literals;

TEST(LogThrottle, FirstLogsRestAreCountedUntilTheSummary) {
  LogThrottle t(10s);
  const auto t0 = LogThrottle::Clock::time_point{} + 1h;
  EXPECT_EQ(t.note("uid 1000", t0), LogThrottle::Verdict::Log);
  EXPECT_EQ(t.note("uid 1000", t0 + 1s), LogThrottle::Verdict::SuppressedFirst);
  EXPECT_EQ(t.window_end(), t0 + 10s);
  EXPECT_EQ(t.note("uid 1000", t0 + 2s), LogThrottle::Verdict::Suppressed);
  EXPECT_EQ(t.note("uid 1001", t0 + 3s), LogThrottle::Verdict::Suppressed);
  // Late: the summary timer has not run yet, so this is still counted.
  EXPECT_EQ(t.note("uid 1000", t0 + 11s), LogThrottle::Verdict::Suppressed);
  const auto s = t.take_summary();
  EXPECT_EQ(s.total, 4u);
  EXPECT_EQ(s.by_key, "uid 1000: 3, uid 1001: 1");
  EXPECT_EQ(t.note("uid 1001", t0 + 12s), LogThrottle::Verdict::Log);
}

TEST(LogThrottle, QuietWindowNeedsNoSummary) {
  LogThrottle t(10s);
  const auto t0 = LogThrottle::Clock::time_point{} + 1h;
  EXPECT_EQ(t.note("k", t0), LogThrottle::Verdict::Log);
  EXPECT_EQ(t.note("k", t0 + 10s), LogThrottle::Verdict::Log) << "a new window";
  EXPECT_EQ(t.note("k", t0 + 19s), LogThrottle::Verdict::SuppressedFirst);
  EXPECT_EQ(t.take_summary().total, 1u);
  EXPECT_EQ(t.take_summary().total, 0u);
}
