// The web page's pure parts (daemon/web/): the token written into the page, a new token,
// and the comparison a browser's POST is judged by. The page in a browser is
// tests/integration/web_page_test.cpp.

#include "daemon/web/web_page.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

TEST(WebPage, TheTokenIsWrittenIntoThePage) {
  const std::string page = web_page("abc123");
  EXPECT_NE(page.find(R"(<meta name="konnect-token" content="abc123">)"), std::string::npos);
  EXPECT_EQ(page.find("@TOKEN@"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos) << "no external resources";
}

TEST(WebPage, TokensAreNewAndComparedWhole) {
  const std::string a = new_web_token();
  const std::string b = new_web_token();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
  EXPECT_TRUE(token_matches(a, a));
  EXPECT_FALSE(token_matches(b, a));
  EXPECT_FALSE(token_matches(a.substr(0, 31), a));
  EXPECT_FALSE(token_matches("", ""));
}

}  // namespace
}  // namespace konnect
