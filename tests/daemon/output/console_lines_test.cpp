// ConsoleLines: what a pipe sends, as whole "NAME | " lines.

#include "daemon/output/console_lines.hpp"

#include <gtest/gtest.h>

#include <string>

using konnect::ConsoleLines;

TEST(ConsoleLines, PrefixesEveryWholeLine) {
  ConsoleLines lines("web");
  std::string out;
  lines.feed("one\ntwo\n", out);
  EXPECT_EQ(out, "web | one\nweb | two\n");
}

TEST(ConsoleLines, KeepsALineUntilItsEndComes) {
  ConsoleLines lines("web");
  std::string out;
  lines.feed("par", out);
  EXPECT_EQ(out, "");
  lines.feed("tial\nnext", out);
  EXPECT_EQ(out, "web | partial\n");
  EXPECT_EQ(lines.partial(), "next");
  lines.feed("\n", out);
  EXPECT_EQ(out, "web | partial\nweb | next\n");
}

TEST(ConsoleLines, AnEmptyLineIsALine) {
  ConsoleLines lines("w");
  std::string out;
  lines.feed("\n\n", out);
  EXPECT_EQ(out, "w | \nw | \n");
}

TEST(ConsoleLines, FinishEndsTheLineBeingWritten) {
  ConsoleLines lines("w");
  std::string out;
  lines.feed("no newline", out);
  lines.finish(out);
  EXPECT_EQ(out, "w | no newline\n");
  lines.finish(out);  // nothing more
  EXPECT_EQ(out, "w | no newline\n");
}

TEST(ConsoleLines, ALongLineIsCutIntoPiecesOfMaxLine) {
  ConsoleLines lines("w");
  std::string out;
  const std::string longline(ConsoleLines::kMaxLine * 2 + 10, 'x');
  // In reads of odd sizes, as a pipe gives them.
  for (std::size_t i = 0; i < longline.size(); i += 7000) lines.feed(std::string_view(longline).substr(i, 7000), out);
  lines.feed("\n", out);
  const std::string piece = "w | " + std::string(ConsoleLines::kMaxLine, 'x') + "\n";
  EXPECT_EQ(out, piece + piece + "w | " + std::string(10, 'x') + "\n");
}

TEST(ConsoleLines, ALineOfExactlyMaxLineIsOneLine) {
  ConsoleLines lines("w");
  std::string out;
  lines.feed(std::string(ConsoleLines::kMaxLine, 'y'), out);
  lines.feed("\n", out);
  EXPECT_EQ(out, "w | " + std::string(ConsoleLines::kMaxLine, 'y') + "\n");
}

TEST(ConsoleLines, APartialLineHandedOverGoesOn) {
  ConsoleLines lines("w");
  lines.set_partial("begun ");
  std::string out;
  lines.feed("and ended\n", out);
  EXPECT_EQ(out, "w | begun and ended\n");
}

TEST(ConsoleLines, TimestampsComeAfterThePrefix) {
  ConsoleLines lines("w", true);
  std::string out;
  lines.feed("x\n", out);
  ASSERT_EQ(out.substr(0, 4), "w | ");
  EXPECT_EQ(out[8], '-');  // "w | 2026-12-07T..."
  EXPECT_EQ(out.substr(out.size() - 3), " x\n");
}
