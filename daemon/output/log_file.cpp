#include "daemon/output/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <string>

namespace konnect {

LogFile::LogFile(std::filesystem::path path, std::uint64_t maxbytes, int backups)
    : path_(std::move(path)), maxbytes_(maxbytes), backups_(backups) {}

LogFile::~LogFile() {
  if (fd_ >= 0) ::close(fd_);
}

Error LogFile::io_error(const char* what, int err) const {
  return make_error(ErrorCode::Io, std::string(what) + " '" + path_.string() + "': " + std::strerror(err));
}

Result<void> LogFile::open() {
  if (fd_ >= 0) return {};
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  if (ec) {
    return make_error(ErrorCode::Io, "cannot create log directory '" + path_.parent_path().string() +
                                         "': " + ec.message());
  }
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot open log file", errno);
  struct stat st {};
  if (::fstat(fd, &st) < 0) {
    const int err = errno;
    ::close(fd);
    return io_error("cannot stat log file", err);
  }
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(st.st_size);
  return {};
}

Result<void> LogFile::reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return open();
}

Result<void> LogFile::truncate() {
  if (auto r = open(); !r) return r;
  if (::ftruncate(fd_, 0) < 0) return io_error("cannot truncate log file", errno);
  size_ = 0;
  return {};
}

std::size_t LogFile::room() const {
  if (maxbytes_ == 0) return std::numeric_limits<std::size_t>::max();
  return size_ >= maxbytes_ ? 0 : static_cast<std::size_t>(maxbytes_ - size_);
}

Result<void> LogFile::rotate_if_full() {
  if (auto r = open(); !r) return r;
  if (room() > 0) return {};
  return rotate();
}

Result<void> LogFile::rotate() {
  const std::string base = path_.string();
  if (backups_ > 0) {
    // FILE.N-1 -> FILE.N ... FILE -> FILE.1; rename() replaces, so FILE.N is dropped.
    for (int i = backups_ - 1; i >= 1; --i) {
      const std::string from = base + "." + std::to_string(i);
      const std::string to = base + "." + std::to_string(i + 1);
      if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT) return io_error("cannot rotate", errno);
    }
    if (::rename(base.c_str(), (base + ".1").c_str()) < 0 && errno != ENOENT) {
      return io_error("cannot rotate", errno);
    }
    ++rotations_;  // FILE is FILE.1 now, whether or not the new FILE opens
    return reopen();
  }
  if (::ftruncate(fd_, 0) < 0) return io_error("cannot truncate log file", errno);
  size_ = 0;
  ++rotations_;
  return {};
}

Result<std::size_t> LogFile::splice_from(int pipe_fd, std::size_t max, bool* eof) {
  if (auto r = rotate_if_full(); !r) return r.error();
  const std::size_t want = std::min(max, room());
  loff_t offset = static_cast<loff_t>(size_);
  for (;;) {
    const ssize_t n = ::splice(pipe_fd, nullptr, fd_, &offset, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n >= 0) {
      // An empty pipe with a writer is EAGAIN; 0 for a non-empty request is the end.
      if (n == 0 && want > 0 && eof != nullptr) *eof = true;
      size_ += static_cast<std::uint64_t>(n);
      written_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return std::size_t{0};
    return io_error("cannot write log file", errno);
  }
}

Result<void> LogFile::write(std::string_view& data) {
  while (!data.empty()) {
    if (auto r = rotate_if_full(); !r) return r;
    const std::size_t chunk = std::min(data.size(), room());
    const ssize_t n = ::pwrite(fd_, data.data(), chunk, static_cast<off_t>(size_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write log file", errno);
    }
    size_ += static_cast<std::uint64_t>(n);
    written_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace konnect
