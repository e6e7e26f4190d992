#pragma once
// One program log file with supervisord's size rotation (SPEC.md: FILE.1 newest .. FILE.N):
// when the next byte would take FILE past maxbytes, FILE becomes FILE.1 (FILE.1 becomes
// FILE.2, ..., FILE.N is dropped) and a new FILE starts. Unlike supervisord, no file ever
// exceeds maxbytes: a write is split exactly at the boundary. maxbytes = 0 never rotates;
// backups = 0 truncates FILE instead of keeping a copy (as supervisord).
//
// Owns: the fd and the write offset. Used only on the output thread (OutputPump): every
// call here may block on the disk. The file is written at an explicit offset (splice(2)
// refuses O_APPEND files), so logrotate must rename (then logreopen), not copytruncate.

#include "common/error.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace konnect {

class LogFile {
 public:
  LogFile(std::filesystem::path path, std::uint64_t maxbytes, int backups);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Opens (creating the directory and file) at its end. Idempotent.
  Result<void> open();
  // Closes and opens FILE again: after logrotate renamed it, a new FILE starts.
  Result<void> reopen();
  // konnectctl reexec: the open file a previous image handed over, written at `size`, rotated
  // `rotations` times so far, `written` bytes in all. The fd is this file's from now on.
  void adopt(int fd, std::uint64_t size, std::uint64_t rotations, std::uint64_t written) {
    fd_ = fd;
    size_ = size;
    rotations_ = rotations;
    written_ = written;
  }
  // Gives the fd up without closing it (for the next image); -1 when not open.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Empties FILE (konnectctl clear); rotated files stay.
  Result<void> truncate();

  // Moves up to `max` bytes from a non-blocking pipe into the file without copying them
  // through user space, rotating first when the file is full. Returns the bytes moved; 0
  // means the pipe is empty, or (*eof set, when given) that it has no writer left.
  Result<std::size_t> splice_from(int pipe_fd, std::size_t max, bool* eof = nullptr);
  // Writes all of data, rotating at the exact boundary as often as needed. data is advanced
  // past what was written, so after an error the caller still holds the rest.
  Result<void> write(std::string_view& data);

  // New rotation settings (reload in place); the next write obeys them.
  void set_limits(std::uint64_t maxbytes, int backups) {
    maxbytes_ = maxbytes;
    backups_ = backups;
  }

  const std::filesystem::path& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  bool is_open() const { return fd_ >= 0; }
  // How many times the file was rotated since it was made (backups = 0 counts each truncation).
  std::uint64_t rotations() const { return rotations_; }
  // Every byte written since the file was made, across rotations (konnect_log_bytes_total).
  std::uint64_t written() const { return written_; }

 private:
  // Bytes that still fit before a rotation (SIZE_MAX without rotation).
  std::size_t room() const;
  Result<void> rotate_if_full();
  Result<void> rotate();
  Error io_error(const char* what, int err) const;

  std::filesystem::path path_;
  std::uint64_t maxbytes_;
  int backups_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // also the write offset
  std::uint64_t rotations_ = 0;
  std::uint64_t written_ = 0;
};

}  // namespace konnect
