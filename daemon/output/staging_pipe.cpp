#include "daemon/output/staging_pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

constexpr std::size_t kStagingSize = 1024 * 1024;  // as the programs' pipes (F_SETPIPE_SZ)

}  // namespace

StagingPipe::~StagingPipe() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

bool StagingPipe::open() {
  if (fds_[0] >= 0) return true;
  if (::pipe2(fds_, O_CLOEXEC | O_NONBLOCK) < 0) {
    fds_[0] = fds_[1] = -1;
    return false;
  }
  // Best effort: a user over pipe-user-pages-soft keeps a smaller pipe, and makes more calls.
  const int size = ::fcntl(fds_[1], F_SETPIPE_SZ, static_cast<int>(kStagingSize));
  capacity_ = static_cast<std::size_t>(size > 0 ? size : ::fcntl(fds_[1], F_GETPIPE_SZ));
  return true;
}

Result<std::size_t> StagingPipe::fill_from(int from, std::size_t max, bool* eof) {
  const std::size_t want = std::min(max, capacity_);
  for (;;) {
    const ssize_t n = ::splice(from, nullptr, fds_[1], nullptr, want, SPLICE_F_NONBLOCK);
    if (n > 0) return static_cast<std::size_t>(n);
    if (n == 0) {  // nothing left and no writer
      if (want > 0) *eof = true;
      return std::size_t{0};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return std::size_t{0};  // empty (this one is always drained first)
    return make_error(ErrorCode::Io, std::string("cannot move a program's output: ") + std::strerror(errno));
  }
}

std::string StagingPipe::take_rest() {
  std::string rest;
  if (fds_[0] < 0) return rest;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fds_[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: empty
    rest.append(buffer, static_cast<std::size_t>(n));
  }
  return rest;
}

}  // namespace konnect
