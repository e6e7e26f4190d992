// konnectd: the process supervisor daemon. Runs in the foreground (SPEC.md).
//   konnectd [-c FILE]          run
//   konnectd --check [-c FILE]  validate the config and exit 0/1
//   konnectd --state-versions   print the reexec state versions this binary reads

#include "common/config/config_loader.hpp"
#include "common/handoff/handoff_state.hpp"
#include "daemon/daemon.hpp"
#include "daemon/handoff/image.hpp"
#include "version.hpp"

#include "daemon/system/console.hpp"
#include "daemon/system/daemon_log.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <exception>
#include <string>
#include <string_view>

namespace {

// The file konnectd runs from, resolved now: `reexec` execs what is at this path later (an
// upgraded package replaces the file; /proc/self/exe would then name the deleted one).
std::filesystem::path own_binary() {
  std::error_code ec;
  std::string path = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return {};
  const std::string deleted = " (deleted)";
  if (path.size() > deleted.size() && path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0) {
    path.resize(path.size() - deleted.size());
  }
  return path;
}

// The config a state carries, loaded as it was running: TOML whatever the main file is
// called, whole (no includes), its accounts checked when it was first loaded.
konnect::Result<konnect::Config> handed_config(const konnect::handoff::State& state) {
  using namespace konnect;
  LoadOptions options;
  options.account_exists = nullptr;
  options.follow_includes = false;
  options.always_toml = true;
  options.container_defaults = ::getpid() == 1;
  try {
    return load_config_text(state.config_toml, state.config_file, options);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::Config, e.what());
  }
}

// konnectctl reexec, asked by the running konnectd before it execs this binary: can this
// binary take the state behind fd? Prints why not; exit 0 or 1.
int check_state(int fd) {
  using namespace konnect;
  auto state = handoff::read_state(fd);
  if (!state) {
    std::printf("%s\n", state.error().message.c_str());
    return 1;
  }
  auto config = handed_config(*state);
  if (!config) {
    std::printf("the handed-over config does not load: %s\n", config.error().to_string().c_str());
    return 1;
  }
  if (auto r = handoff::fits(*state, *config); !r) {
    std::printf("%s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("ok: %zu program(s)\n", state->programs.size());
  return 0;
}

// konnectctl reexec, the new image: the previous one handed its state over (fd `state_fd`);
// take it, or give it back to the previous image with the reason.
int take_over(int state_fd, int previous_fd, const std::string& reexec_error,
              const konnect::handoff::ImageArgs& args) {
  using namespace konnect;
  auto state = handoff::read_state(state_fd);
  if (!state) handoff::return_to_previous_image(previous_fd, state_fd, args, state.error().message);
  // Fault injection for tests/integration/reexec_test.cpp: this image refuses the state, as
  // one that cannot take it would. Read once and removed, so the image it goes back to
  // takes the state.
  if (const char* refuse = std::getenv("KONNECT_TEST_REFUSE_TAKEOVER"); refuse != nullptr) {
    const std::string why = refuse;
    ::unsetenv("KONNECT_TEST_REFUSE_TAKEOVER");
    handoff::return_to_previous_image(previous_fd, state_fd, args, why);
  }
  auto config = handed_config(*state);
  if (!config) {
    handoff::return_to_previous_image(previous_fd, state_fd, args,
                                      "the handed-over config does not load: " + config.error().to_string());
  }
  setup_daemon_log(config->daemon);
  int rc = 1;
  {
    Daemon daemon(std::move(*config), state->allow_insecure_config, own_binary());
    if (auto r = daemon.restore(*state); !r) {
      spdlog::critical("Cannot take over: {}", r.error().to_string());
      shutdown_daemon_log();
      handoff::return_to_previous_image(previous_fd, state_fd, args, r.error().to_string());
    }
    handoff::settle_fds(*state, state_fd, previous_fd);
    rc = daemon.run_restored(*state, reexec_error);
  }
  shutdown_daemon_log();
  Console::finish_all();
  return rc;
}

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
  // Before any thread exists (the log's, the output pump's): they inherit the mask, so only the
  // loop's thread, which lets them through once its handlers are set, ever takes these signals.
  konnect::Daemon::hold_signals(true);
  // A console (stdout_log = "console", log_file = "-") that went away is a write error, not
  // the end of konnectd. Children get their default dispositions back (spawner).
  ::signal(SIGPIPE, SIG_IGN);
  std::string config_file = konnect::kDefaultConfigFile;
  bool check = false;
  bool allow_insecure = false;
  int state_fd = -1;     // --deserialize: konnectctl reexec handed a state over
  int previous_fd = -1;  // --previous-image: the image that did
  std::string reexec_error;
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
    } else if (arg == "--deserialize" && i + 1 < argc) {
      state_fd = std::atoi(argv[++i]);
    } else if (arg == "--previous-image" && i + 1 < argc) {
      previous_fd = std::atoi(argv[++i]);
    } else if (arg == "--reexec-error" && i + 1 < argc) {
      reexec_error = argv[++i];
    } else if (arg == "--check-state" && i + 1 < argc) {
      return check_state(std::atoi(argv[i + 1]));
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

  if (state_fd >= 0) {
    try {
      return take_over(state_fd, previous_fd, reexec_error, {config_file, allow_insecure});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "konnectd: fatal while taking over: %s\n", e.what());
      return 1;
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
      konnect::Daemon daemon(std::move(*config), allow_insecure, own_binary());
      if (auto r = daemon.setup(); !r) {
        spdlog::critical("Failed to start: {}", r.error().to_string());
        std::fprintf(stderr, "konnectd: %s\n", r.error().to_string().c_str());
      } else {
        rc = daemon.run();
      }
    }
    konnect::shutdown_daemon_log();
    konnect::Console::finish_all();  // the programs' last console lines, and what was dropped
    return rc;
  } catch (const std::exception& e) {
    spdlog::critical("Fatal: {}", e.what());
    std::fprintf(stderr, "konnectd: fatal: %s\n", e.what());
    return 1;
  }
}
