// parse_notify: the assignments konnectd takes, what it ignores, and what it refuses.

#include "common/notify_message.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

TEST(NotifyMessage, ReadsEveryKeyItTakes) {
  auto m = parse_notify("READY=1\nSTATUS=Processing requests...\nMAINPID=4242\nWATCHDOG=1\nSTOPPING=1\n");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_TRUE(m->ready);
  EXPECT_TRUE(m->watchdog);
  EXPECT_TRUE(m->stopping);
  EXPECT_FALSE(m->watchdog_trigger);
  EXPECT_EQ(m->status, "Processing requests...");
  EXPECT_EQ(m->mainpid, 4242);
  m = parse_notify("WATCHDOG=trigger");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->watchdog_trigger);
}

TEST(NotifyMessage, UnknownKeysAreIgnoredAndStatusIsPrintable) {
  auto m = parse_notify("RELOADING=1\nERRNO=2\nSTATUS=a\tb\x7f" "c\n\n");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->ready);
  EXPECT_EQ(m->status, "a b c");
  m = parse_notify("STATUS=" + std::string(1000, 'x'));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status->size(), kNotifyMaxStatus);
  m = parse_notify("STATUS=");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, "");
}

TEST(NotifyMessage, RefusesWhatIsNotSdNotifyText) {
  for (const std::string& bad : {std::string(""), std::string("\n\n"), std::string("READY"), std::string("=1"),
                                std::string("READY=2"), std::string("READY=1\0", 8), std::string("MAINPID=abc"),
                                std::string("MAINPID=1"), std::string("MAINPID=-5"), std::string("MAINPID=12x"),
                                std::string("WATCHDOG=0"), std::string("STOPPING=yes"),
                                std::string(kNotifyMaxDatagram + 1, 'x')}) {
    auto m = parse_notify(bad);
    EXPECT_FALSE(m) << "accepted: " << bad;
    if (!m) {
      EXPECT_EQ(m.error().message.rfind("bad sd_notify message: ", 0), 0u) << m.error().message;
    }
  }
}

}  // namespace
}  // namespace konnect
