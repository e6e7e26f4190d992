#include "daemon/http/basic_auth.hpp"

#include "common/base64.hpp"

#include <boost/uuid/detail/sha1.hpp>

#include <cstdio>

namespace konnect {
namespace {

bool same(std::string_view a, std::string_view b) {
  // Length differences show; contents do not.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  }
  return true;
}

}  // namespace

std::string sha1_hex(std::string_view text) {
  boost::uuids::detail::sha1 sha;
  sha.process_bytes(text.data(), text.size());
  boost::uuids::detail::sha1::digest_type digest;
  sha.get_digest(digest);
  std::string hex;
  char buf[9];
  for (unsigned word : digest) {
    std::snprintf(buf, sizeof buf, "%08x", word);
    hex += buf;
  }
  return hex;
}

bool Credentials::accepts(std::string_view authorization) const {
  if (!iequals_prefix(authorization, "Basic ")) return false;
  authorization.remove_prefix(6);
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  const auto decoded = base64_decode(authorization);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string_view user = std::string_view(*decoded).substr(0, colon);
  const std::string_view pass = std::string_view(*decoded).substr(colon + 1);
  const bool user_ok = same(user, username);
  if (password.rfind("{SHA}", 0) == 0) {
    return same(sha1_hex(pass), std::string_view(password).substr(5)) && user_ok;
  }
  return same(pass, password) && user_ok;
}

}  // namespace konnect
