// LineWatch: a whole line matches, wherever the reads cut it; nothing before its newline.

#include "daemon/output/line_watch.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

LineWatch watch(const char* pattern) { return LineWatch(std::make_shared<const std::regex>(pattern)); }

TEST(LineWatch, MatchesACompleteLineCutAcrossReads) {
  auto w = watch(R"(\S+@\S+ ready\.$)");
  EXPECT_FALSE(w.feed("booting\ncelery@ho"));
  EXPECT_FALSE(w.feed("st rea"));
  EXPECT_FALSE(w.feed("dy."));  // no newline yet: the line may go on
  EXPECT_TRUE(w.feed("\r\nmore\n"));
  EXPECT_TRUE(w.feed("anything"));
}

TEST(LineWatch, OnlyWholeLinesAndNotAcrossThem) {
  auto w = watch("^b c$");
  EXPECT_FALSE(w.feed("a b\nc d\n"));
  EXPECT_TRUE(w.feed("x\nb c\n"));
}

TEST(LineWatch, AVeryLongLineIsMatchedOnItsStartAndSkipped) {
  auto w = watch("^start");
  EXPECT_FALSE(w.feed(std::string(LineWatch::kMaxLine + 10, 'x')));
  EXPECT_FALSE(w.feed("start of the rest, still the long line\n"));
  EXPECT_TRUE(w.feed("start\n"));
  auto v = watch("^y+$");
  EXPECT_TRUE(v.feed(std::string(LineWatch::kMaxLine + 10, 'y')));
}

}  // namespace
}  // namespace konnect
