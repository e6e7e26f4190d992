// Tests for common/process_info.cpp: the description column of `status`, as supervisorctl
// writes it.

#include "common/process_info.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

TEST(ProcessInfo, UptimeIsHoursMinutesSeconds) {
  EXPECT_EQ(format_uptime(0), "0:00:00");
  EXPECT_EQ(format_uptime(-5), "0:00:00");
  EXPECT_EQ(format_uptime(59), "0:00:59");
  EXPECT_EQ(format_uptime(61), "0:01:01");
  EXPECT_EQ(format_uptime(3600 + 600 + 9), "1:10:09");
  EXPECT_EQ(format_uptime(86399), "23:59:59");
}

TEST(ProcessInfo, UptimeCountsDaysAsSupervisorctl) {
  EXPECT_EQ(format_uptime(86400), "1 day, 0:00:00");
  EXPECT_EQ(format_uptime(2 * 86400 + 3 * 3600 + 4 * 60 + 5), "2 days, 3:04:05");
  EXPECT_EQ(format_uptime(400 * 86400 + 59), "400 days, 0:00:59");
}

TEST(ProcessInfo, RunningDescriptionHasPidAndUptime) {
  ProcessInfo info;
  info.group = info.process = "web";
  info.state = State::Running;
  info.pid = 4242;
  info.start = 1000;
  info.now = 1000 + 3725;
  EXPECT_EQ(describe(info), "pid 4242, uptime 1:02:05");
  info.log_error = "disk full";
  EXPECT_EQ(describe(info), "pid 4242, uptime 1:02:05 [log: disk full]");
}

}  // namespace
}  // namespace konnect
