#include "daemon/daemon_log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

namespace konnect {
namespace {

constexpr std::size_t kQueueSize = 8192;  // messages; overrun drops the oldest

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
  auto logger = std::make_shared<spdlog::async_logger>("konnectd", make_sink(config), spdlog::thread_pool(),
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

void shutdown_daemon_log() { spdlog::shutdown(); }

}  // namespace konnect
