// konnectd: the process supervisor daemon. Runs in the foreground (SPEC.md).
//   konnectd [-c FILE]          run
//   konnectd --check [-c FILE]  validate the config and exit 0/1
//   konnectd --state-versions   print the reexec state versions this binary reads

#include "common/config/config_loader.hpp"
#include "common/handoff/handoff_state.hpp"
#include "daemon/daemon.hpp"
#include "version.hpp"

#include "daemon/system/daemon_log.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

namespace {

constexpr const char* kUsage =
    "usage: konnectd [-c FILE] [--check] [--allow-insecure-config]\n"
    "  -c, --config FILE  config file (default /etc/konnect/konnectd.toml)\n"
    "      --check        validate the config (and its includes) and exit\n"
    "      --allow-insecure-config\n"
    "                     as root, read config files that others than root may write\n"
    "      --state-versions\n"
    "                     print the versions of the reexec state this binary can take over\n"
    "  -v, --version      print the version\n"
    "  -h, --help         this help\n";

// fds 0-2 must exist so that no file we open lands there and leaks into a child as stdio.
void ensure_std_fds() {
  for (int fd = 0; fd < 3; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0 && null != fd) {
        ::dup2(null, fd);
        ::close(null);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ensure_std_fds();
  std::string config_file = konnect::kDefaultConfigFile;
  bool check = false;
  bool allow_insecure = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_file = argv[++i];
    } else if (arg.substr(0, 9) == "--config=") {
      config_file = std::string(arg.substr(9));
    } else if (arg == "--check") {
      check = true;
    } else if (arg == "--allow-insecure-config") {
      allow_insecure = true;
    } else if (arg == "--state-versions") {
      // Asked by a running konnectd before it execs this binary (konnectctl reexec).
      std::printf("%s\n", konnect::handoff::readable_versions_text().c_str());
      return 0;
    } else if (arg == "-v" || arg == "--version") {
      std::printf("konnectd %s\n", konnect::kVersion);
      return 0;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "-n" || arg == "--nodaemon") {
      // Accepted for supervisord muscle memory: konnectd always runs in the foreground.
    } else {
      std::fprintf(stderr, "konnectd: unknown option '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }

  konnect::Result<konnect::Config> config = konnect::make_error(konnect::ErrorCode::Config, "not read");
  try {
    config = konnect::load_config(config_file, allow_insecure);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "konnectd: cannot read %s: %s\n", config_file.c_str(), e.what());
    return 1;
  }
  if (!config) {
    std::fprintf(stderr, "konnectd: %s\n", config.error().to_string().c_str());
    return 1;
  }
  if (check) {
    for (const auto& w : config->warnings) std::fprintf(stderr, "konnectd: warning: %s\n", w.to_string().c_str());
    std::printf("%s: OK (%zu program(s), %zu file(s))\n", config->file.c_str(), config->programs.size(),
                config->files_read.size());
    return 0;
  }

  try {
    konnect::setup_daemon_log(config->daemon);
    for (const auto& w : config->warnings) spdlog::warn("Config: {}", w.to_string());
    int rc = 1;
    {
      konnect::Daemon daemon(std::move(*config), allow_insecure);
      if (auto r = daemon.setup(); !r) {
        spdlog::critical("Failed to start: {}", r.error().to_string());
        std::fprintf(stderr, "konnectd: %s\n", r.error().to_string().c_str());
      } else {
        rc = daemon.run();
      }
    }
    konnect::shutdown_daemon_log();
    return rc;
  } catch (const std::exception& e) {
    spdlog::critical("Fatal: {}", e.what());
    std::fprintf(stderr, "konnectd: fatal: %s\n", e.what());
    return 1;
  }
}
