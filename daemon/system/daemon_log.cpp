#include "daemon/system/daemon_log.hpp"

#include "daemon/system/console.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace konnect {
namespace {

// Lines waiting for the log thread; past this the oldest is dropped (and counted).
constexpr std::size_t kQueueSize = 1024;

// The thread that writes konnectd's log. The loop formats a line and queues it (QueueSink);
// this thread writes it to the file and the maintail -f listener. It waits with no timeout:
// spdlog 1.10's own async thread pool wakes every 10 s even with nothing to log, which
// broke "zero wakeups when idle".
class LogThread {
 public:
  LogThread() : thread_([this] { run(); }) {}
  ~LogThread() { stop(); }

  void push(std::string line) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (queue_.size() >= kQueueSize) {
        queue_.pop_front();
        ++dropped_;
      }
      queue_.push_back(std::move(line));
    }
    wake_.notify_one();
  }

  // The sinks lines go to; each gets the line as it was formatted (pattern "%v", no eol).
  void set_sinks(std::vector<spdlog::sink_ptr> sinks) {
    for (auto& sink : sinks) {
      sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("%v", spdlog::pattern_time_type::local, ""));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    sinks_ = std::move(sinks);
  }

  // Writes what is queued, then ends the thread.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      std::deque<std::string> batch;
      batch.swap(queue_);
      const std::size_t dropped = dropped_;
      dropped_ = 0;
      const auto sinks = sinks_;
      lock.unlock();
      if (dropped > 0) {
        batch.push_front("konnectd: " + std::to_string(dropped) + " older log lines were dropped (the log could not keep up)\n");
      }
      for (const auto& line : batch) {
        const spdlog::details::log_msg msg("konnectd", spdlog::level::info, line);
        for (const auto& sink : sinks) sink->log(msg);
      }
      for (const auto& sink : sinks) sink->flush();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  std::size_t dropped_ = 0;
  std::vector<spdlog::sink_ptr> sinks_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything above exists
};

LogThread& log_thread() {
  static LogThread thread;
  return thread;
}

// The logger's only sink: formats on the caller's thread, hands the line over, returns.
class QueueSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    log_thread().push(std::string(buf.data(), buf.size()));
  }
  void flush_() override {}
};

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

// log_file = "-": konnectd's stderr, through its Console, so that program lines sent there
// (stderr_log = "console") and the log's own lines never cut into each other.
class ConsoleSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    Console::of(2).put_waiting(std::string_view(buf.data(), buf.size()));
  }
  void flush_() override {}
};

std::shared_ptr<ListenerSink> listener_sink() {
  static auto sink = std::make_shared<ListenerSink>();
  return sink;
}

spdlog::sink_ptr make_sink(const DaemonConfig& config) {
  if (config.log_file == "-") return std::make_shared<ConsoleSink>();
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
    return std::make_shared<ConsoleSink>();
  }
}

void install(const DaemonConfig& config) {
  log_thread().set_sinks({make_sink(config), listener_sink()});
  Console::set_daemon_log_open(true);  // a console's drop counts may be logged
  auto logger = std::make_shared<spdlog::logger>("konnectd", std::make_shared<QueueSink>());
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %l %v");
  logger->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

void setup_daemon_log(const DaemonConfig& config) { install(config); }

void reopen_daemon_log(const DaemonConfig& config) {
  if (config.log_file == "-") return;
  log_thread().set_sinks({make_sink(config), listener_sink()});
}

Result<void> clear_daemon_log(const DaemonConfig& config) {
  if (config.log_file == "-") return make_error(ErrorCode::Failed, "konnectd logs to stderr (log_file = \"-\")");
  std::error_code ec;
  if (!std::filesystem::remove(config.log_file, ec)) {
    if (!ec) return make_error(ErrorCode::Failed, config.log_file.string() + " does not exist");
    return make_error(ErrorCode::Io, "cannot remove " + config.log_file.string() + ": " + ec.message());
  }
  // Lines the log thread writes meanwhile go to the removed file, as in supervisord.
  log_thread().set_sinks({make_sink(config), listener_sink()});
  spdlog::info("Cleared the log (clearLog): {}", config.log_file.string());
  return {};
}

void set_daemon_log_listener(std::function<void(std::string)> listener) { listener_sink()->set(std::move(listener)); }

void shutdown_daemon_log() {
  Console::set_daemon_log_open(false);  // from now on a console reports its drops on itself
  listener_sink()->set(nullptr);
  log_thread().stop();
  spdlog::shutdown();
}

}  // namespace konnect
