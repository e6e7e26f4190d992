// Tests for common/config/shell_words.cpp: shlex.split (POSIX) semantics and quoting for display.

#include "common/config/shell_words.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view text) {
  auto r = split_shell_words(text);
  EXPECT_TRUE(r.has_value()) << text;
  return r ? *r : Words{};
}

std::string split_error(std::string_view text) {
  auto r = split_shell_words(text);
  EXPECT_FALSE(r.has_value()) << text;
  if (r) return "";
  EXPECT_EQ(r.error().code, ErrorCode::Config);
  return r.error().message;
}

TEST(SplitShellWords, WhitespaceSeparates) {
  EXPECT_EQ(split("celery -A kano_konnect worker --loglevel=INFO"),
            (Words{"celery", "-A", "kano_konnect", "worker", "--loglevel=INFO"}));
  EXPECT_EQ(split("  a \t b\n c  "), (Words{"a", "b", "c"}));
  EXPECT_EQ(split(""), Words{});
  EXPECT_EQ(split("   "), Words{});
}

TEST(SplitShellWords, SingleQuotesAreLiteral) {
  EXPECT_EQ(split(R"(echo 'a b' 'c\d' '$HOME' '"')"), (Words{"echo", "a b", R"(c\d)", "$HOME", "\""}));
}

TEST(SplitShellWords, DoubleQuotesEscapeOnlyQuoteBackslashDollarBacktick) {
  EXPECT_EQ(split(R"("a b" "q\"q" "b\\s" "d\$" "t\`" "n\n" "x'y")"),
            (Words{"a b", "q\"q", "b\\s", "d$", "t`", "n\\n", "x'y"}));
}

TEST(SplitShellWords, BackslashOutsideQuotesEscapesNextChar) {
  EXPECT_EQ(split(R"(a\ b c\'d e\"f g\\h \#)"), (Words{"a b", "c'd", "e\"f", "g\\h", "#"}));
}

TEST(SplitShellWords, AdjacentPartsJoinIntoOneWord) {
  EXPECT_EQ(split(R"(a"b c"d'e f'g)"), (Words{"ab cde fg"}));
  EXPECT_EQ(split(R"(--opt="x y")"), (Words{"--opt=x y"}));
}

TEST(SplitShellWords, EmptyQuotesMakeEmptyWords) {
  EXPECT_EQ(split(R"(a '' "" b)"), (Words{"a", "", "", "b"}));
}

TEST(SplitShellWords, HashIsNotAComment) {
  EXPECT_EQ(split("cmd # not a comment"), (Words{"cmd", "#", "not", "a", "comment"}));
  EXPECT_EQ(split("a#b"), (Words{"a#b"}));
}

TEST(SplitShellWords, NoExpansion) {
  EXPECT_EQ(split("$HOME ~ * `x` $(y)"), (Words{"$HOME", "~", "*", "`x`", "$(y)"}));
}

TEST(SplitShellWords, UnterminatedQuoteOrTrailingBackslashIsAnError) {
  EXPECT_NE(split_error("echo 'abc").find("unterminated single quote"), std::string::npos);
  EXPECT_NE(split_error(R"(echo "abc)").find("unterminated double quote"), std::string::npos);
  EXPECT_NE(split_error(R"(echo "abc\")").find("unterminated double quote"), std::string::npos);
  EXPECT_NE(split_error("echo abc\\").find("trailing backslash"), std::string::npos);
}

TEST(QuoteShellWord, PlainWordsUnchanged) {
  EXPECT_EQ(quote_shell_word("uwsgi"), "uwsgi");
  EXPECT_EQ(quote_shell_word("--http=:9090"), "--http=:9090");
  EXPECT_EQ(quote_shell_word("/srv/env/bin/uwsgi"), "/srv/env/bin/uwsgi");
  EXPECT_EQ(quote_shell_word("a@b%c+d,e"), "a@b%c+d,e");
}

TEST(QuoteShellWord, OthersAreSingleQuoted) {
  EXPECT_EQ(quote_shell_word(""), "''");
  EXPECT_EQ(quote_shell_word("a b"), "'a b'");
  EXPECT_EQ(quote_shell_word("$HOME"), "'$HOME'");
  EXPECT_EQ(quote_shell_word("it's"), R"('it'\''s')");
  EXPECT_EQ(quote_shell_word("#"), "'#'");
}

TEST(QuoteShellWord, RoundTripsThroughSplit) {
  Words words{"a b", "it's", "", "\"q\"", "back\\slash", "$x", "plain", "tab\there", "new\nline"};
  std::string line;
  for (const auto& w : words) line += quote_shell_word(w) + " ";
  EXPECT_EQ(split(line), words);
}

}  // namespace
}  // namespace konnect
