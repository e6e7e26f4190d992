#pragma once
// /metrics in Prometheus' text exposition format (SPEC.md "HTTP"; docs/metrics.md): pure, so
// a unit test and promtool check exactly what a scrape gets. Each metric has HELP and TYPE;
// every process series is labelled name (its process name) and group. A CPU or memory figure
// that could not be read is left out, never written as 0.

#include "common/process_info.hpp"
#include "daemon/metrics/resource_usage.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace konnect {

struct ProcessMetrics {
  std::string name;   // process name ("web", "worker_01")
  std::string group;
  State state = State::Stopped;
  std::int64_t start_time = 0;  // unix seconds of its last start; 0: never started
  std::uint64_t restarts = 0;
  Health health = Health::None;
  bool health_checked = false;  // it has a health check: konnect_process_healthy is written
  Usage usage;
  std::optional<std::uint64_t> stdout_bytes;  // bytes written to its log; none: discarded
  std::optional<std::uint64_t> stderr_bytes;
};

std::string prometheus_text(std::string_view version, const std::vector<ProcessMetrics>& processes);

// A label value escaped as the format wants: backslash, double quote and newline.
std::string label_value(std::string_view value);

}  // namespace konnect
