#include "daemon/output/output_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace konnect {

OutputSink::OutputSink(OutputPump& pump, std::shared_ptr<const ProgramConfig> config, std::string process_name,
                       std::filesystem::path log_dir)
    : pump_(pump), config_(std::move(config)), process_name_(std::move(process_name)), log_dir_(std::move(log_dir)) {}

OutputSink::~OutputSink() {
  main_.close();
  if (beside_) beside_->close();
}

void OutputSink::Pipes::close() {
  if (stdout_fd >= 0) ::close(stdout_fd);
  if (stderr_fd >= 0) ::close(stderr_fd);
  stdout_fd = stderr_fd = -1;
  sources.clear();
}

std::filesystem::path OutputSink::resolve(const LogTarget& target, const char* suffix) const {
  switch (target.kind) {
    case LogTarget::Kind::None:
    case LogTarget::Kind::Console:  // a stream with no file
      return {};
    case LogTarget::Kind::Path:
      return target.path;
    case LogTarget::Kind::Auto:
      return log_dir_ / (process_name_ + suffix);
  }
  return {};
}

std::filesystem::path OutputSink::stdout_path() const { return resolve(config_->stdout_log, ".out.log"); }

std::filesystem::path OutputSink::stderr_path() const {
  if (config_->redirect_stderr) return stdout_path();
  return resolve(config_->stderr_log, ".err.log");
}

Result<void> OutputSink::add(const std::filesystem::path& path, int console, const char* which,
                             std::uint64_t maxbytes, int backups, int& fd, std::optional<OutputPump::StreamId>& id) {
  if (id || (path.empty() && console == 0)) return {};
  OutputPump::StreamOptions options;
  options.name = process_name_ + " " + which;
  options.path = path;
  options.console = console;
  options.label = process_name_;
  options.maxbytes = maxbytes;
  options.backups = backups;
  options.timestamps = config_->log_timestamps.value_or(false);
  auto added = pump_.add_stream(std::move(options));
  if (!added) return added.error();
  fd = added->write_fd;
  id = added->id;
  main_.sources.emplace_back(added->id, added->source);
  return {};
}

Result<void> OutputSink::open_beside() {
  if (beside_) return {};
  Pipes pipes;
  for (const auto& [stream, source] : main_.sources) {
    auto added = pump_.add_source(stream);
    if (!added) {
      pipes.close();
      return added.error();
    }
    pipes.sources.emplace_back(stream, added->source);
    if (stream == stdout_id_) {
      pipes.stdout_fd = added->write_fd;
    } else {
      pipes.stderr_fd = added->write_fd;
    }
  }
  if (stderr_id_ && stderr_id_ == stdout_id_ && !config_->redirect_stderr) {
    pipes.stderr_fd = ::dup(pipes.stdout_fd);  // both configured to one file: one pipe, as main_
    ::fcntl(pipes.stderr_fd, F_SETFD, FD_CLOEXEC);
  }
  beside_ = std::move(pipes);
  return {};
}

void OutputSink::snapshot(handoff::CopyState& copy) const {
  copy.stdout_stream = stdout_id_;
  copy.stderr_stream = stderr_id_;
  copy.pipes = handoff::Pipes{main_.stdout_fd, main_.stderr_fd, main_.sources};
}

void OutputSink::adopt(const handoff::CopyState& copy) {
  stdout_id_ = copy.stdout_stream;
  stderr_id_ = copy.stderr_stream;
  main_.stdout_fd = copy.pipes.stdout_fd;
  main_.stderr_fd = copy.pipes.stderr_fd;
  main_.sources = copy.pipes.sources;
}

void OutputSink::keep_beside() {
  if (!beside_) return;
  main_.close();
  main_ = std::move(*beside_);
  beside_.reset();
}

void OutputSink::drop_beside() {
  if (!beside_) return;
  beside_->close();
  beside_.reset();
}

std::vector<OutputPump::StreamId> OutputSink::streams() const {
  std::vector<OutputPump::StreamId> out;
  if (stdout_id_) out.push_back(*stdout_id_);
  if (stderr_id_ && stderr_id_ != stdout_id_) out.push_back(*stderr_id_);
  return out;
}

void OutputSink::set_config(std::shared_ptr<const ProgramConfig> config) {
  config_ = std::move(config);
  const bool timestamps = config_->log_timestamps.value_or(false);
  if (stdout_id_) pump_.update_stream(*stdout_id_, config_->stdout_log_maxbytes, config_->stdout_log_backups, timestamps);
  if (stderr_id_ && stderr_id_ != stdout_id_) {
    pump_.update_stream(*stderr_id_, config_->stderr_log_maxbytes, config_->stderr_log_backups, timestamps);
  }
}

Result<void> OutputSink::open() {
  const auto console = [](const LogTarget& target, int fd) { return target.kind == LogTarget::Kind::Console ? fd : 0; };
  if (auto r = add(stdout_path(), console(config_->stdout_log, 1), "stdout", config_->stdout_log_maxbytes,
                   config_->stdout_log_backups, main_.stdout_fd, stdout_id_);
      !r) {
    return r;
  }
  if (config_->redirect_stderr) return {};
  if (!stdout_path().empty() && stderr_path() == stdout_path()) {
    // Both configured to one file: one stream, or two writers would overwrite each other.
    main_.stderr_fd = ::dup(main_.stdout_fd);
    ::fcntl(main_.stderr_fd, F_SETFD, FD_CLOEXEC);
    stderr_id_ = stdout_id_;
    return {};
  }
  return add(stderr_path(), console(config_->stderr_log, 2), "stderr", config_->stderr_log_maxbytes, config_->stderr_log_backups, main_.stderr_fd,
             stderr_id_);
}

}  // namespace konnect
