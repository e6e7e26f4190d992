#include "daemon/handoff/image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace konnect::handoff {
namespace {

void set_cloexec(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return;
  ::fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

std::vector<std::string> image_argv(const std::string& argv0, const ImageArgs& args, int state_fd, int previous_fd,
                                    const std::string& reexec_error) {
  std::vector<std::string> argv{argv0, "-c", args.config_file.string()};
  if (args.allow_insecure_config) argv.emplace_back("--allow-insecure-config");
  argv.insert(argv.end(), {"--deserialize", std::to_string(state_fd)});
  if (previous_fd >= 0) argv.insert(argv.end(), {"--previous-image", std::to_string(previous_fd)});
  if (!reexec_error.empty()) argv.insert(argv.end(), {"--reexec-error", reexec_error});
  return argv;
}

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

int execveat_fd(int fd, char* const* argv) {
  return static_cast<int>(::syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH));
}

// The state's text in a new memfd, read from its start; the reason when it cannot be.
Result<int> write_memfd(const State& state, unsigned flags) {
  const std::string text = encode(state);
  const int fd = ::memfd_create("konnect-state", flags);
  if (fd < 0) return make_error(ErrorCode::Io, std::string("cannot create the state's memfd: ") + std::strerror(errno));
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::Io, std::string("cannot write the state: ") + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

Result<int> state_fd(const State& state) { return write_memfd(state, MFD_CLOEXEC); }

void exec_next_image(const State& state, const std::filesystem::path& binary, const ImageArgs& args) {
  std::string why;
  auto written = write_memfd(state, 0);  // not close-on-exec: the next image reads it
  const int state_fd = written ? *written : -1;
  if (!written) why = written.error().message;
  if (why.empty()) {
    for (const int fd : state.fds()) set_cloexec(fd, false);
    // The old binary, open: the new image goes back to it if it cannot take the state.
    const int self = ::open("/proc/self/exe", O_RDONLY);
    auto argv = image_argv(binary.string(), args, state_fd, self, "");
    auto c = c_argv(argv);
    ::execve(binary.c_str(), c.data(), environ);
    why = "cannot execute " + binary.string() + ": " + std::strerror(errno);
    if (self >= 0) ::close(self);
    // The old image takes its own state back (the file at its path may be gone: the kernel
    // still has it as /proc/self/exe) and answers the client with the reason.
    auto again = image_argv(binary.string(), args, state_fd, -1, why);
    auto c_again = c_argv(again);
    ::execve("/proc/self/exe", c_again.data(), environ);
    why += "; and the running binary again: " + std::string(std::strerror(errno));
  }
  std::fprintf(stderr, "konnectd: reexec failed after the state was handed over, exiting: %s\n", why.c_str());
  std::_Exit(1);
}

Result<State> read_state(int fd) {
  std::string text;
  char buf[65536];
  if (::lseek(fd, 0, SEEK_SET) < 0) {
    return make_error(ErrorCode::Failed, std::string("cannot read the handed-over state: ") + std::strerror(errno));
  }
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return make_error(ErrorCode::Failed, std::string("cannot read the handed-over state: ") + std::strerror(errno));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (std::size_t{256} << 20)) return make_error(ErrorCode::Failed, "the handed-over state is too large");
  }
  return decode(text);
}

void return_to_previous_image(int previous_image_fd, int state_fd, const ImageArgs& args, const std::string& reason) {
  std::fprintf(stderr, "konnectd: cannot take over (%s); going back to the previous image\n", reason.c_str());
  if (previous_image_fd >= 0) {
    auto argv = image_argv("konnectd", args, state_fd, -1, reason);
    auto c = c_argv(argv);
    execveat_fd(previous_image_fd, c.data());
    std::fprintf(stderr, "konnectd: cannot execute the previous image either: %s\n", std::strerror(errno));
  }
  std::_Exit(1);
}

void settle_fds(const State& state, int state_fd, int previous_image_fd) {
  for (const int fd : state.fds()) set_cloexec(fd, true);
  if (state_fd >= 0) ::close(state_fd);
  if (previous_image_fd >= 0) ::close(previous_image_fd);
}

}  // namespace konnect::handoff
