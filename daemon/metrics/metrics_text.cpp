#include "daemon/metrics/metrics_text.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace konnect {
namespace {

constexpr std::array<State, 7> kStates{State::Stopped, State::Starting, State::Running, State::Backoff,
                                       State::Stopping, State::Exited,   State::Fatal};

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void labels(std::string& out, const ProcessMetrics& p) {
  out.append("{name=\"").append(label_value(p.name)).append("\",group=\"").append(label_value(p.group)).append("\"");
}

void integer(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void seconds(std::string& out, double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.6f", v);
  out.append(buf, static_cast<std::size_t>(n));
}

// One series per process of `name` with the value `value(p)`; those where it is nullopt are
// left out.
template <class F>
void per_process(std::string& out, const std::vector<ProcessMetrics>& processes, std::string_view name, F value) {
  for (const ProcessMetrics& p : processes) {
    const auto v = value(p);
    if (!v) continue;
    out.append(name);
    labels(out, p);
    out.append("} ");
    if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, double>) {
      seconds(out, *v);
    } else {
      integer(out, static_cast<std::uint64_t>(*v));
    }
    out.push_back('\n');
  }
}

}  // namespace

std::string label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string prometheus_text(std::string_view version, const std::vector<ProcessMetrics>& processes) {
  std::string out;
  out.reserve(256 + processes.size() * 1200);
  header(out, "konnect_build_info", "gauge", "The konnectd that answers: 1, labelled with its version.");
  out.append("konnect_build_info{version=\"").append(label_value(version)).append("\"} 1\n");

  using Maybe = std::optional<std::uint64_t>;
  header(out, "konnect_process_up", "gauge", "1 when the process is RUNNING, else 0.");
  per_process(out, processes, "konnect_process_up", [](const ProcessMetrics& p) { return Maybe(p.state == State::Running); });

  header(out, "konnect_process_state", "gauge", "1 for the state the process is in, 0 for the others.");
  for (const ProcessMetrics& p : processes) {
    for (const State s : kStates) {
      out.append("konnect_process_state");
      labels(out, p);
      out.append(",state=\"").append(to_string(s)).append("\"} ").append(p.state == s ? "1" : "0").append("\n");
    }
  }

  header(out, "konnect_process_start_time_seconds", "gauge",
         "Unix time of the process's last start; absent if it never started.");
  per_process(out, processes, "konnect_process_start_time_seconds",
              [](const ProcessMetrics& p) { return p.start_time > 0 ? Maybe(p.start_time) : std::nullopt; });

  header(out, "konnect_process_restarts_total", "counter",
         "Starts of the process after its first, since konnectd added it.");
  per_process(out, processes, "konnect_process_restarts_total", [](const ProcessMetrics& p) { return Maybe(p.restarts); });

  header(out, "konnect_process_healthy", "gauge",
         "1 when the last health check passed, 0 when it failed; for RUNNING processes with a health check.");
  per_process(out, processes, "konnect_process_healthy", [](const ProcessMetrics& p) {
    return p.health_checked && p.state == State::Running ? Maybe(p.health != Health::Failing) : std::nullopt;
  });

  header(out, "konnect_process_cpu_seconds_total", "counter",
         "User and system CPU time of the process's instance: its cgroup, else its process tree.");
  per_process(out, processes, "konnect_process_cpu_seconds_total",
              [](const ProcessMetrics& p) { return p.usage.cpu_seconds; });

  header(out, "konnect_process_memory_bytes", "gauge",
         "Memory of the process's instance: its cgroup's memory.current, else the resident memory of its process tree.");
  per_process(out, processes, "konnect_process_memory_bytes",
              [](const ProcessMetrics& p) { return p.usage.memory_bytes; });

  header(out, "konnect_log_bytes_total", "counter", "Bytes of the process's output written to its log file, across rotations.");
  for (const char* stream : {"stdout", "stderr"}) {
    for (const ProcessMetrics& p : processes) {
      const Maybe bytes = std::string_view(stream) == "stdout" ? p.stdout_bytes : p.stderr_bytes;
      if (!bytes) continue;
      out.append("konnect_log_bytes_total");
      labels(out, p);
      out.append(",stream=\"").append(stream).append("\"} ");
      integer(out, *bytes);
      out.push_back('\n');
    }
  }
  return out;
}

}  // namespace konnect
