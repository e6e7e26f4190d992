// konnectctl: the command-line client of konnectd. Everything but process plumbing lives
// in run_konnectctl() (ctl/konnectctl.cpp).

#include "ctl/config_socket.hpp"
#include "ctl/konnectctl.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

// One write(2) per stream in the common case; no stdio or iostream buffers to set up.
// A closed pipe kills us with SIGPIPE (restored to default below), which ends quietly.
void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A parent that ignores SIGPIPE hands that on; `konnectctl status | head -1` must still
  // end silently instead of reporting EPIPE.
  std::signal(SIGPIPE, SIG_DFL);
  try {
    konnect::ctl::Environment env;
    if (const char* socket = std::getenv("KONNECT_SOCKET")) env.konnect_socket = socket;
    env.read_config = konnect::ctl::socket_from_config;
    env.write_out = [](std::string_view text) { write_all(STDOUT_FILENO, text); };
    konnect::ctl::Outcome outcome = konnect::ctl::run_konnectctl(std::vector<std::string>(argv + 1, argv + argc), env);
    write_all(STDOUT_FILENO, outcome.out);
    write_all(STDERR_FILENO, outcome.err);
    return outcome.exit_code;
  } catch (const std::exception& e) {
    write_all(STDERR_FILENO, std::string("konnectctl: ") + e.what() + '\n');
    return konnect::ctl::kExitFailed;
  }
}
