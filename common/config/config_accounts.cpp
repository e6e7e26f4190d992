// The config checked against this machine's accounts: user and group names must exist.
// Kept apart from the loader so a binary that never calls load_config (the static
// konnectctl, whose convert uses load_config_with without checks) links no NSS lookups.

#include "common/config/config_loader.hpp"

#include <grp.h>
#include <unistd.h>
#include <pwd.h>

#include <vector>

namespace konnect {
namespace {

// getpwnam_r/getgrnam_r need a caller buffer; this size fits any sane passwd/group entry.
constexpr std::size_t kPwBufSize = 16384;

bool account_exists(bool is_group, const std::string& name) {
  std::vector<char> buf(kPwBufSize);
  if (is_group) {
    group gr{};
    group* found = nullptr;
    return getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) == 0 && found;
  }
  passwd pw{};
  passwd* found = nullptr;
  return getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found;
}

}  // namespace

Result<Config> load_config(const std::filesystem::path& file, bool allow_insecure_files) {
  LoadOptions options{&account_exists, !allow_insecure_files && ::geteuid() == 0};
  options.container_defaults = ::getpid() == 1;
  return load_config_with(file, options);
}

Result<Config> load_config_from_string(std::string_view text, const std::filesystem::path& file) {
  return load_config_text(text, file, LoadOptions{&account_exists});
}

}  // namespace konnect
