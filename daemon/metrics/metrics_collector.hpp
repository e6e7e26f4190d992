#pragma once
// /metrics and the web page's CPU and memory figures, without blocking the loop: the loop
// copies what it owns (each process's state, start, restarts, pid, cgroup, log stream ids),
// the output pump counts its log bytes on its thread, and the collector's own thread reads
// the cgroups (or /proc, once per scrape) and writes the text; the answer comes back on the
// loop. The thread starts at the first scrape and then sleeps in its io_context until the
// next: no wakeup while nobody asks.

#include "daemon/metrics/metrics_text.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace konnect {

class Supervisor;

class MetricsCollector {
 public:
  MetricsCollector(boost::asio::any_io_executor main, Supervisor& supervisor);
  ~MetricsCollector();
  MetricsCollector(const MetricsCollector&) = delete;
  MetricsCollector& operator=(const MetricsCollector&) = delete;

  // Every process as /metrics shows it, CPU and memory read now; done runs on the loop.
  void sample(std::function<void(std::vector<ProcessMetrics>)> done);
  // The Prometheus text of a sample; done runs on the loop.
  void scrape(std::function<void(std::string)> done);

 private:
  struct Pending;
  // The loop's and the pump's part, then `finish` on the collector's thread with the sample.
  void gather(std::function<void(std::vector<ProcessMetrics>&)> finish);
  boost::asio::io_context& thread_context();

  boost::asio::any_io_executor main_;
  Supervisor& supervisor_;
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace konnect
