#include "daemon/output/output_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace konnect {

OutputSink::OutputSink(OutputPump& pump, std::shared_ptr<const ProgramConfig> config, std::string process_name,
                       std::filesystem::path log_dir)
    : pump_(pump), config_(std::move(config)), process_name_(std::move(process_name)), log_dir_(std::move(log_dir)) {}

OutputSink::~OutputSink() {
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

std::filesystem::path OutputSink::resolve(const LogTarget& target, const char* suffix) const {
  switch (target.kind) {
    case LogTarget::Kind::None:
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

Result<void> OutputSink::add(const std::filesystem::path& path, const char* which, std::uint64_t maxbytes,
                             int backups, int& fd, std::optional<OutputPump::StreamId>& id) {
  if (id || path.empty()) return {};
  OutputPump::StreamOptions options;
  options.name = process_name_ + " " + which;
  options.path = path;
  options.maxbytes = maxbytes;
  options.backups = backups;
  options.timestamps = config_->log_timestamps.value_or(false);
  auto added = pump_.add_stream(std::move(options));
  if (!added) return added.error();
  fd = added->write_fd;
  id = added->id;
  return {};
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
  if (auto r = add(stdout_path(), "stdout", config_->stdout_log_maxbytes, config_->stdout_log_backups,
                   stdout_fd_, stdout_id_);
      !r) {
    return r;
  }
  if (config_->redirect_stderr) return {};
  if (!stdout_path().empty() && stderr_path() == stdout_path()) {
    // Both configured to one file: one stream, or two writers would overwrite each other.
    stderr_fd_ = ::dup(stdout_fd_);
    ::fcntl(stderr_fd_, F_SETFD, FD_CLOEXEC);
    stderr_id_ = stdout_id_;
    return {};
  }
  return add(stderr_path(), "stderr", config_->stderr_log_maxbytes, config_->stderr_log_backups, stderr_fd_,
             stderr_id_);
}

}  // namespace konnect
