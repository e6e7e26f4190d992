#include "daemon/web/web_page.hpp"

#include <sys/random.h>

#include <cstdint>

namespace konnect {

extern const char kWebPage[];  // generated from page.html (scripts/embed-page.cmake)

std::string web_page(std::string_view token) {
  std::string page(kWebPage);
  constexpr std::string_view kMarker = "@TOKEN@";
  if (const auto at = page.find(kMarker); at != std::string::npos) page.replace(at, kMarker.size(), token);
  return page;
}

std::string new_web_token() {
  std::uint8_t random[16] = {};
  for (std::size_t got = 0; got < sizeof random;) {
    const ssize_t n = ::getrandom(random + got, sizeof random - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t b : random) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool token_matches(std::string_view given, std::string_view token) {
  if (given.size() != token.size() || token.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

}  // namespace konnect
