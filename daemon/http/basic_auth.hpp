#pragma once
// HTTP basic auth as supervisord's [inet_http_server] does it: username and password, the
// password in clear or as "{SHA}" and the hex SHA-1 of it.

#include <optional>
#include <string>
#include <string_view>

namespace konnect {

struct Credentials {
  std::string username;
  std::string password;  // "secret", or "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"

  // Whether an Authorization header's value ("Basic dXNlcjpwYXNz") names this user with
  // this password. Compares in time independent of where the first difference is.
  bool accepts(std::string_view authorization) const;
};

// The hex SHA-1 of text (what "{SHA}" passwords hold).
std::string sha1_hex(std::string_view text);

}  // namespace konnect
