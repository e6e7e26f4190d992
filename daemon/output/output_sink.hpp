#pragma once
// Where one process's stdout and stderr go (SPEC.md "Files": <log_dir>/NAME.out.log and
// NAME.err.log by default, a path, konnectd's console, or nowhere). Each stream is a pipe into the OutputPump,
// which writes and rotates the file on its own thread. The pipes belong to the process slot,
// not to one instance: every new instance gets the same write ends, so output written around
// a restart lands in order and nothing is lost.
//
// During a rolling restart the new instance writes beside the running one into pipes of its
// own into the same files (`beside`): what each instance writes can be told apart (its `log`
// readiness), and when the roll ends, one set of pipes stays the process's (keep_beside or
// drop_beside) while the other empties into the file and goes.
//
// Owns: the pipes' write ends (close-on-exec; dup'ed into children as fds 1 and 2).
// Streams are created on the first spawn: a log file that cannot be opened is that spawn's
// error, not the daemon's.

#include "common/config/config.hpp"
#include "common/error.hpp"
#include "common/handoff/handoff_state.hpp"
#include "daemon/output/output_pump.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace konnect {

class OutputSink {
 public:
  OutputSink(OutputPump& pump, std::shared_ptr<const ProgramConfig> config, std::string process_name,
             std::filesystem::path log_dir);
  ~OutputSink();
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  // Creates the streams if they do not exist yet.
  Result<void> open();

  // The fds to give the child as stdout and stderr; -1 means /dev/null. `beside`: the new
  // instance of a rolling restart (open_beside first).
  int stdout_fd(bool beside = false) const { return pipes(beside).stdout_fd; }
  int stderr_fd(bool beside = false) const {
    const Pipes& p = pipes(beside);
    return config_->redirect_stderr ? p.stdout_fd : p.stderr_fd;
  }
  // The pipes (stream, source) that instance writes into, one per stream.
  const std::vector<std::pair<OutputPump::StreamId, OutputPump::SourceId>>& sources(bool beside = false) const {
    return pipes(beside).sources;
  }

  // A second set of pipes into the same streams, for a new instance beside the running one.
  // Idempotent while the roll lasts.
  Result<void> open_beside();
  // The roll is over: the new instance's pipes become the process's (the old ones are closed
  // here and empty into the files once the old instance's last writer is gone), or go.
  void keep_beside();
  void drop_beside();

  // The pump streams; empty when the output is discarded or not opened yet.
  std::optional<OutputPump::StreamId> stdout_stream() const { return stdout_id_; }
  std::optional<OutputPump::StreamId> stderr_stream() const {
    return config_->redirect_stderr ? stdout_id_ : stderr_id_;
  }

  // Every stream this sink created (one when both outputs share a file).
  std::vector<OutputPump::StreamId> streams() const;

  // Reload in place: the same paths (needs_restart is false), new rotation and timestamps.
  void set_config(std::shared_ptr<const ProgramConfig> config);
  // The same settings from another place (a newer Config): only the pointer changes.
  void rebind(const std::shared_ptr<const ProgramConfig>& config) {
    if (*config == *config_) config_ = config;
  }

  // konnectctl reexec: the streams and the write ends konnectd keeps (not during a roll),
  // into the copy's state, and in the next image the same taken back.
  void snapshot(handoff::CopyState& copy) const;
  void adopt(const handoff::CopyState& copy);

  // The resolved file paths; empty when the stream is discarded.
  std::filesystem::path stdout_path() const;
  std::filesystem::path stderr_path() const;

 private:
  std::filesystem::path resolve(const LogTarget& target, const char* suffix) const;
  struct Pipes {
    int stdout_fd = -1;
    int stderr_fd = -1;
    std::vector<std::pair<OutputPump::StreamId, OutputPump::SourceId>> sources;
    void close();
  };
  const Pipes& pipes(bool beside) const { return beside && beside_ ? *beside_ : main_; }
  // console: 1 or 2 for a stream to konnectd's stdout or stderr (path empty), else 0.
  Result<void> add(const std::filesystem::path& path, int console, const char* which, std::uint64_t maxbytes,
                   int backups, int& fd, std::optional<OutputPump::StreamId>& id);

  OutputPump& pump_;
  std::shared_ptr<const ProgramConfig> config_;
  std::string process_name_;
  std::filesystem::path log_dir_;
  Pipes main_;
  std::optional<Pipes> beside_;
  std::optional<OutputPump::StreamId> stdout_id_;
  std::optional<OutputPump::StreamId> stderr_id_;
};

}  // namespace konnect
