// Tests for common/config/units.cpp: durations and sizes as written in config files.

#include "common/config/units.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("10s"), seconds(10));
  EXPECT_EQ(parse_duration("2m"), minutes(2));
  EXPECT_EQ(parse_duration("1h"), hours(1));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("600s"), seconds(600));
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(parse_duration("10"), seconds(10));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("2.5"), milliseconds(2500));
}

TEST(ParseDuration, FractionsScaleExactly) {
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_duration("0.25s"), milliseconds(250));
  EXPECT_EQ(parse_duration("1.5m"), seconds(90));
  EXPECT_EQ(parse_duration("0.001s"), milliseconds(1));
  EXPECT_EQ(parse_duration("2.5ms"), milliseconds(3));  // rounded to the millisecond
}

TEST(ParseDuration, UnitsIgnoreCase) {
  EXPECT_EQ(parse_duration("10S"), seconds(10));
  EXPECT_EQ(parse_duration("5MS"), milliseconds(5));
}

TEST(ParseDuration, RejectsJunk) {
  for (const char* junk : {"", "abc", "s", "10x", "10 s", " 10s", "10s ", "-1s", "+1s", "1e3s", "1.s",
                           ".5s", "1..5s", "10sec", "1d", "ms10", "1,5s"}) {
    EXPECT_EQ(parse_duration(junk), std::nullopt) << junk;
  }
}

TEST(ParseDuration, RejectsOverflow) {
  EXPECT_EQ(parse_duration("99999999999999999999s"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807h"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807s"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807ms"), milliseconds(9223372036854775807LL));
}

TEST(DurationFromSeconds, ConvertsTomlNumbers) {
  EXPECT_EQ(duration_from_seconds(std::int64_t{10}), seconds(10));
  EXPECT_EQ(duration_from_seconds(std::int64_t{-1}), std::nullopt);
  EXPECT_EQ(duration_from_seconds(std::int64_t{9223372036854775807LL}), std::nullopt);
  EXPECT_EQ(duration_from_float_seconds(1.5), milliseconds(1500));
  EXPECT_EQ(duration_from_float_seconds(0.0), milliseconds(0));
  EXPECT_EQ(duration_from_float_seconds(-0.5), std::nullopt);
  EXPECT_EQ(duration_from_float_seconds(1e300), std::nullopt);
  EXPECT_EQ(duration_from_float_seconds(std::numeric_limits<double>::quiet_NaN()), std::nullopt);
  EXPECT_EQ(duration_from_float_seconds(std::numeric_limits<double>::infinity()), std::nullopt);
}

TEST(FormatDuration, ShortestExactSpelling) {
  EXPECT_EQ(format_duration(seconds(10)), "10s");
  EXPECT_EQ(format_duration(seconds(600)), "600s");
  EXPECT_EQ(format_duration(milliseconds(500)), "500ms");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(format_duration(milliseconds(1250)), "1.25s");
  EXPECT_EQ(format_duration(milliseconds(1001)), "1.001s");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(-1500)), "-1.5s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (long long ms : {0LL, 1LL, 999LL, 1000LL, 1001LL, 61500LL, 3600000LL, 123456789LL}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms))), milliseconds(ms)) << ms;
  }
}

TEST(ParseSize, AcceptsEveryUnit) {
  EXPECT_EQ(parse_size("100B"), 100u);
  EXPECT_EQ(parse_size("512KB"), 512u * 1024);
  EXPECT_EQ(parse_size("50MB"), 50ull * 1024 * 1024);
  EXPECT_EQ(parse_size("1GB"), 1024ull * 1024 * 1024);
  EXPECT_EQ(parse_size("2TB"), 2ull << 40);
  EXPECT_EQ(parse_size("10KiB"), 10u * 1024);
  EXPECT_EQ(parse_size("3MiB"), 3ull << 20);
  EXPECT_EQ(parse_size("1GiB"), 1ull << 30);
  EXPECT_EQ(parse_size("1TiB"), 1ull << 40);
  EXPECT_EQ(parse_size("50mb"), 50ull << 20);
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1234"), 1234u);
}

TEST(ParseSize, RejectsJunk) {
  for (const char* junk : {"", "MB", "abc", "-1", "-1MB", "1.5MB", "50 MB", "50M", "50XB", "10K", "1e3"}) {
    EXPECT_EQ(parse_size(junk), std::nullopt) << junk;
  }
}

TEST(ParseSize, RejectsOverflow) {
  EXPECT_EQ(parse_size("18446744073709551615"), 18446744073709551615ull);
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_size("99999999999TB"), std::nullopt);
}

}  // namespace
}  // namespace konnect
