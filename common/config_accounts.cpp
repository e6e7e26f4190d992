// read_user/read_group: the config values checked against the system's accounts. Kept apart
// from config_values.cpp so a binary that never reads program tables (the static
// konnectctl) links no NSS lookups.

#include "common/config_values.hpp"

#include <grp.h>
#include <pwd.h>

#include <vector>

namespace konnect::config_detail {
namespace {

// getpwnam_r/getgrnam_r need a caller buffer; this size fits any sane passwd/group entry.
constexpr std::size_t kPwBufSize = 16384;

}  // namespace

Result<std::string> read_user(const Field& f) {
  auto name = read_string(f);
  if (!name) return name.error();
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(kPwBufSize);
  if (getpwnam_r(name->c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
    return f.error("no such user " + describe(*f.node) + "; expected an existing user name");
  }
  return name;
}

Result<std::string> read_group(const Field& f) {
  auto name = read_string(f);
  if (!name) return name.error();
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(kPwBufSize);
  if (getgrnam_r(name->c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
    return f.error("no such group " + describe(*f.node) + "; expected an existing group name");
  }
  return name;
}

}  // namespace konnect::config_detail
