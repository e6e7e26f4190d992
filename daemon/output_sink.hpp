#pragma once
// Where one process's stdout and stderr go (SPEC.md "Files": <log_dir>/NAME.out.log and
// NAME.err.log by default, a path, or nowhere). This slice hands the log files themselves
// to the child as fds 1 and 2 (O_APPEND), so no byte passes through the daemon; capture
// through pipes, rotation and timestamps grow behind this same interface.
//
// Owns: the open files. Files are opened on the first spawn (a bad path is that spawn's
// error, not the daemon's) and stay open across restarts.

#include "common/config.hpp"
#include "common/error.hpp"

#include <filesystem>
#include <string>

namespace konnect {

class OutputSink {
 public:
  OutputSink(std::shared_ptr<const ProgramConfig> config, std::string process_name,
             std::filesystem::path log_dir);
  ~OutputSink();
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  // Opens the files if they are not open yet.
  Result<void> open();
  // Closes and opens again (after logrotate renamed them).
  Result<void> reopen();

  // The fds to give the child as stdout and stderr; -1 means /dev/null.
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return config_->redirect_stderr ? stdout_fd_ : stderr_fd_; }

  // The resolved file paths; empty when the stream is discarded.
  std::filesystem::path stdout_path() const;
  std::filesystem::path stderr_path() const;

 private:
  std::filesystem::path resolve(const LogTarget& target, const char* suffix) const;
  void close_all();

  std::shared_ptr<const ProgramConfig> config_;
  std::string process_name_;
  std::filesystem::path log_dir_;
  bool opened_ = false;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
};

}  // namespace konnect
