#include "daemon/daemon_log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>
#include <mutex>

namespace konnect {
namespace {

// Messages; overrun drops the oldest. Preallocated (~250 bytes each): kept small for RSS.
constexpr std::size_t kQueueSize = 1024;

// Hands each formatted line to the listener (maintail -f), when there is one.
class ListenerSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void set(std::function<void(std::string)> listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!listener_) return;
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    listener_(std::string(buf.data(), buf.size()));
  }
  void flush_() override {}

 private:
  std::function<void(std::string)> listener_;
};

std::shared_ptr<ListenerSink> listener_sink() {
  static auto sink = std::make_shared<ListenerSink>();
  return sink;
}

spdlog::sink_ptr make_sink(const DaemonConfig& config) {
  if (config.log_file == "-") return std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  try {
    std::error_code ec;
    std::filesystem::create_directories(config.log_file.parent_path(), ec);
    if (config.log_file_maxbytes == 0 || config.log_file_backups == 0) {
      return std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.log_file.string());
    }
    return std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        config.log_file.string(), static_cast<std::size_t>(config.log_file_maxbytes),
        static_cast<std::size_t>(config.log_file_backups));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "konnectd: Failed to open log file '%s': %s; logging to stderr\n",
                 config.log_file.c_str(), e.what());
    return std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
}

void install(const DaemonConfig& config) {
  spdlog::sinks_init_list sinks{make_sink(config), listener_sink()};
  auto logger = std::make_shared<spdlog::async_logger>("konnectd", sinks, spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::overrun_oldest);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(config.log_level));
  logger->flush_on(spdlog::level::trace);  // on the logging thread, not the loop
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void setup_daemon_log(const DaemonConfig& config) {
  spdlog::init_thread_pool(kQueueSize, 1);
  install(config);
}

void reopen_daemon_log(const DaemonConfig& config) {
  if (config.log_file == "-") return;
  install(config);
}

void set_daemon_log_listener(std::function<void(std::string)> listener) { listener_sink()->set(std::move(listener)); }

void shutdown_daemon_log() {
  listener_sink()->set(nullptr);
  spdlog::shutdown();
}

}  // namespace konnect
