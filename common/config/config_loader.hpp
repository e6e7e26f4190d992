#pragma once
// Loads konnectd.toml and every file its `include` globs name into a Config.
// Pure: reads files, never logs, never touches processes. Every error names file, line,
// key and what is accepted (Error::file/line/key/message).

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <string_view>

namespace konnect {

// Reads FILE (and its includes). Relative paths in a file resolve against that file's
// directory. Unknown keys, wrong types, bad values, duplicate program names, groups that
// name unknown programs and programs in two groups are errors.
// User and group names are checked against this machine's accounts (config_accounts.cpp).
// Run as root, every file read (and its directory) must be writable by root alone, unless
// allow_insecure_files (konnectd --allow-insecure-config): konnectd runs what they say as
// any user, so whoever may write them could become root (as sshd's StrictModes).
Result<Config> load_config(const std::filesystem::path& file, bool allow_insecure_files = false);

struct LoadOptions {
  // Whether a user (is_group false) or group exists; null: names are not checked
  // (konnectctl convert, which may run elsewhere than the host the config is for, and
  // links no NSS lookups).
  bool (*account_exists)(bool is_group, const std::string& name) = nullptr;
  // Refuse a file, or a file's directory, that someone other than root may write.
  bool refuse_insecure_files = false;
  // Read the files that include names (false: the fuzzers read nothing but their input).
  bool follow_includes = true;
  // The text is konnect TOML whatever the file is called (reexec hands a running config over
  // as TOML, also one first read from a supervisord .conf file, which stays its name).
  bool always_toml = false;
  // konnectd is PID 1 (a container, SPEC.md "Containers"): log_file defaults to "-" (stderr)
  // and pid_file to none, unless the file sets them. load_config() sets it when getpid() is 1.
  bool container_defaults = false;
};
Result<Config> load_config_with(const std::filesystem::path& file, const LoadOptions& options);

// Same, from text already in memory (tests); `file` names it in errors and anchors
// relative paths. Accounts are checked.
Result<Config> load_config_from_string(std::string_view text, const std::filesystem::path& file);
Result<Config> load_config_text(std::string_view text, const std::filesystem::path& file, const LoadOptions& options);

// Reads only `[konnectd] socket` from FILE, resolved against its directory (konnectctl -c):
// no includes, no program checks, no user lookups. The default socket when it is not set.
Result<std::filesystem::path> read_socket_setting(const std::filesystem::path& file);

}  // namespace konnect
