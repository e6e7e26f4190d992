#include "daemon/metrics/metrics_collector.hpp"

#include "daemon/supervision/supervisor.hpp"
#include "version.hpp"

#include <boost/asio/post.hpp>

#include <pthread.h>

#include <csignal>
#include <memory>

namespace konnect {

// One process as the loop saw it, and where the collector's thread reads the rest.
struct MetricsCollector::Pending {
  std::vector<ProcessMetrics> processes;
  std::vector<pid_t> pids;
  std::vector<std::filesystem::path> cgroups;
  std::vector<std::optional<OutputPump::StreamId>> stdout_ids;
  std::vector<std::optional<OutputPump::StreamId>> stderr_ids;
};

MetricsCollector::MetricsCollector(boost::asio::any_io_executor main, Supervisor& supervisor)
    : main_(std::move(main)), supervisor_(supervisor) {}

MetricsCollector::~MetricsCollector() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
}

boost::asio::io_context& MetricsCollector::thread_context() {
  if (!thread_.joinable()) {
    work_.emplace(io_.get_executor());
    // Signals are the loop's: the thread starts with every one blocked (it inherits the
    // mask), so none is delivered to it, not even while a reexec holds them.
    sigset_t all;
    sigset_t before;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &before);
    thread_ = std::thread([this] { io_.run(); });
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
  }
  return io_;
}

void MetricsCollector::gather(std::function<void(std::vector<ProcessMetrics>&)> finish) {
  auto pending = std::make_shared<Pending>();
  for (const Process* p : supervisor_.processes()) {
    const ProcessInfo info = supervisor_.info(*p);
    ProcessMetrics m;
    m.name = info.process;
    m.group = info.group;
    m.state = info.state;
    m.start_time = info.start;
    m.restarts = info.restarts;
    m.health = info.health;
    m.health_checked = static_cast<bool>(p->config().health);
    pending->processes.push_back(std::move(m));
    pending->pids.push_back(info.pid);
    pending->cgroups.push_back(supervisor_.cgroup_of(*p));
    auto out = supervisor_.log_stream(*p, false);
    auto err = supervisor_.log_stream(*p, true);
    pending->stdout_ids.push_back(out ? std::optional(*out) : std::nullopt);
    pending->stderr_ids.push_back(err ? std::optional(*err) : std::nullopt);
  }
  supervisor_.pump().bytes_written([this, pending, finish = std::move(finish)](auto written) mutable {
    for (std::size_t i = 0; i < pending->processes.size(); ++i) {
      auto bytes = [&](const std::optional<OutputPump::StreamId>& id) -> std::optional<std::uint64_t> {
        if (!id) return std::nullopt;
        const auto it = written.find(*id);
        return it == written.end() ? std::nullopt : std::optional(it->second);
      };
      pending->processes[i].stdout_bytes = bytes(pending->stdout_ids[i]);
      // stderr redirected into stdout is stdout's stream: counted once.
      if (pending->stderr_ids[i] != pending->stdout_ids[i]) pending->processes[i].stderr_bytes = bytes(pending->stderr_ids[i]);
    }
    boost::asio::post(thread_context(), [pending, finish = std::move(finish)] {
      // The tree from /proc only when some running process has no cgroup: one pass for all.
      std::optional<ProcessTree> tree;
      for (std::size_t i = 0; i < pending->processes.size(); ++i) {
        if (pending->pids[i] == 0) continue;
        if (!pending->cgroups[i].empty()) {
          pending->processes[i].usage = cgroup_usage(pending->cgroups[i]);
          continue;
        }
        if (!tree) tree = ProcessTree::read();
        pending->processes[i].usage = tree->usage_of(pending->pids[i]);
      }
      finish(pending->processes);
    });
  });
}

void MetricsCollector::sample(std::function<void(std::vector<ProcessMetrics>)> done) {
  gather([main = main_, done = std::move(done)](std::vector<ProcessMetrics>& processes) mutable {
    boost::asio::post(main, [done = std::move(done), processes = std::move(processes)]() mutable {
      done(std::move(processes));
    });
  });
}

void MetricsCollector::scrape(std::function<void(std::string)> done) {
  gather([main = main_, done = std::move(done)](std::vector<ProcessMetrics>& processes) mutable {
    std::string text = prometheus_text(kVersion, processes);
    boost::asio::post(main, [done = std::move(done), text = std::move(text)]() mutable { done(std::move(text)); });
  });
}

}  // namespace konnect
