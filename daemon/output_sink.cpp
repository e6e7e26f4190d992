#include "daemon/output_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace konnect {
namespace {

Result<int> open_log(const std::filesystem::path& path) {
  if (path.empty()) return -1;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) {
    return make_error(ErrorCode::Io, "cannot create log directory '" + path.parent_path().string() +
                                         "': " + ec.message());
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorCode::Io,
                      "cannot open log file '" + path.string() + "': " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

OutputSink::OutputSink(std::shared_ptr<const ProgramConfig> config, std::string process_name,
                       std::filesystem::path log_dir)
    : config_(std::move(config)), process_name_(std::move(process_name)), log_dir_(std::move(log_dir)) {}

OutputSink::~OutputSink() { close_all(); }

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

Result<void> OutputSink::open() {
  if (opened_) return {};
  auto out = open_log(stdout_path());
  if (!out) return out.error();
  stdout_fd_ = *out;
  if (!config_->redirect_stderr) {
    auto err = open_log(stderr_path());
    if (!err) {
      close_all();
      return err.error();
    }
    stderr_fd_ = *err;
  }
  opened_ = true;
  return {};
}

Result<void> OutputSink::reopen() {
  close_all();
  return open();
}

void OutputSink::close_all() {
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
  stdout_fd_ = stderr_fd_ = -1;
  opened_ = false;
}

}  // namespace konnect
