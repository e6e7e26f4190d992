#pragma once
// The pump's own pipe, between a program's pipe and its log file (issue 21).
//
// splice(2) from a pipe into a file holds that pipe's lock while the kernel copies the bytes
// into the page cache, up to the pipe's size a call: the program's next write() waits on the
// lock (spinning, on a second core) instead of refilling the pipe. Spliced from pipe to pipe,
// the bytes move as page references under both locks for an instant, and the copy into the
// file then holds only this pipe's lock: the program writes while konnect copies.
//
// Empty between transfers: whatever a failed write leaves in it is taken back (take_rest) by
// the source it came from. One per pump thread (two fds, whatever the number of programs).

#include "common/error.hpp"

#include <cstddef>
#include <string>

namespace konnect {

class StagingPipe {
 public:
  StagingPipe() = default;
  ~StagingPipe();
  StagingPipe(const StagingPipe&) = delete;
  StagingPipe& operator=(const StagingPipe&) = delete;

  // Makes the pipe (once); false when it cannot be made now (out of fds): splice straight.
  bool open();
  // Moves up to `max` bytes (at most what the pipe holds) from the non-blocking pipe `from`,
  // without copying them. 0: `from` is empty, or (*eof set) has no writer left. Needs open().
  Result<std::size_t> fill_from(int from, std::size_t max, bool* eof);
  // Its read end, for LogFile::splice_from.
  int read_fd() const { return fds_[0]; }
  // Reads out what a failed write left (the caller keeps it, to write after its retry).
  std::string take_rest();

 private:
  int fds_[2] = {-1, -1};
  std::size_t capacity_ = 0;
};

}  // namespace konnect
