// /metrics' pure parts (daemon/metrics/): the text a scrape gets, and CPU and memory as read
// from a cgroup directory and from a /proc laid out in a temp dir. promtool checks the text
// of a real scrape in tests/integration/metrics_test.cpp.

#include "daemon/metrics/metrics_text.hpp"
#include "daemon/metrics/resource_usage.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace konnect {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/konnect-metrics-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A /proc/PID/stat line with utime, stime, cutime, cstime and rss (pages) where they go; comm
// with a space and a parenthesis, as the kernel allows.
std::string stat_line(pid_t pid, pid_t ppid, int utime, int stime, int cutime, int cstime, int rss) {
  std::string s = std::to_string(pid) + " (we) ird) S " + std::to_string(ppid);
  for (int field = 5; field <= 13; ++field) s += " 0";
  s += " " + std::to_string(utime) + " " + std::to_string(stime) + " " + std::to_string(cutime) + " " +
       std::to_string(cstime);
  for (int field = 18; field <= 23; ++field) s += " 0";
  s += " " + std::to_string(rss) + " 18446744073709551615 1 1 0 0\n";
  return s;
}

TEST(ResourceUsage, ACgroupsCpuStatAndMemoryCurrent) {
  TempDir d;
  write(d.path / "cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
  write(d.path / "memory.current", "1048576\n");
  const Usage u = cgroup_usage(d.path);
  ASSERT_TRUE(u.cpu_seconds);
  EXPECT_DOUBLE_EQ(*u.cpu_seconds, 2.5);
  EXPECT_EQ(u.memory_bytes, 1048576u);
  // No memory controller for it: no memory figure, not 0.
  fs::remove(d.path / "memory.current");
  EXPECT_FALSE(cgroup_usage(d.path).memory_bytes);
  EXPECT_FALSE(cgroup_usage(d.path / "gone").cpu_seconds);
}

TEST(ResourceUsage, AProcessTreeSumsItsDescendantsOnly) {
  TempDir d;
  const long hz = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  write(d.path / "100/stat", stat_line(100, 1, hz, hz, hz, 0, 10));   // the instance: 3 s with a reaped child
  write(d.path / "101/stat", stat_line(101, 100, hz, 0, 0, hz, 20));  // its worker, which reaped a job
  write(d.path / "102/stat", stat_line(102, 101, 0, hz, 0, 0, 30));   // the worker's child
  write(d.path / "200/stat", stat_line(200, 1, 9 * hz, 0, 0, 0, 99));  // someone else
  write(d.path / "self/stat", "not a pid directory");
  const ProcessTree tree = ProcessTree::read(d.path);
  const Usage u = tree.usage_of(100);
  ASSERT_TRUE(u.cpu_seconds);
  EXPECT_DOUBLE_EQ(*u.cpu_seconds, 6.0);
  EXPECT_EQ(u.memory_bytes, static_cast<std::uint64_t>(60 * page));
  EXPECT_FALSE(tree.usage_of(300).cpu_seconds) << "a pid that is not there has no figures";
}

TEST(MetricsText, EveryFamilyWithHelpTypeAndLabels) {
  ProcessMetrics web;
  web.name = "web";
  web.group = "web";
  web.state = State::Running;
  web.start_time = 1765100000;
  web.restarts = 3;
  web.health = Health::Ok;
  web.health_checked = true;
  web.usage = {1.5, 4096};
  web.stdout_bytes = 100;
  web.stderr_bytes = 7;
  ProcessMetrics worker;
  worker.name = "worker_00";
  worker.group = "we\"ird\\\n";
  worker.state = State::Fatal;
  const std::string text = prometheus_text("0.2.0", {web, worker});
  for (const char* line : {
           "# TYPE konnect_build_info gauge\nkonnect_build_info{version=\"0.2.0\"} 1\n",
           "konnect_process_up{name=\"web\",group=\"web\"} 1\n",
           "konnect_process_up{name=\"worker_00\",group=\"we\\\"ird\\\\\\n\"} 0\n",
           "konnect_process_state{name=\"web\",group=\"web\",state=\"RUNNING\"} 1\n",
           "konnect_process_state{name=\"web\",group=\"web\",state=\"STOPPED\"} 0\n",
           "konnect_process_start_time_seconds{name=\"web\",group=\"web\"} 1765100000\n",
           "# TYPE konnect_process_restarts_total counter\n",
           "konnect_process_restarts_total{name=\"web\",group=\"web\"} 3\n",
           "konnect_process_healthy{name=\"web\",group=\"web\"} 1\n",
           "konnect_process_cpu_seconds_total{name=\"web\",group=\"web\"} 1.500000\n",
           "konnect_process_memory_bytes{name=\"web\",group=\"web\"} 4096\n",
           "konnect_log_bytes_total{name=\"web\",group=\"web\",stream=\"stdout\"} 100\n",
           "konnect_log_bytes_total{name=\"web\",group=\"web\",stream=\"stderr\"} 7\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nnot in\n" << text;
  }
  // What is not known is left out: the FATAL worker's CPU, memory, start, health, logs.
  for (const char* metric : {"konnect_process_cpu_seconds_total{name=\"worker_00\"",
                             "konnect_process_start_time_seconds{name=\"worker_00\"",
                             "konnect_process_healthy{name=\"worker_00\"", "konnect_log_bytes_total{name=\"worker_00\""}) {
    EXPECT_EQ(text.find(metric), std::string::npos) << metric;
  }
  // Each family's lines together, after its HELP and TYPE.
  EXPECT_LT(text.find("# HELP konnect_process_up "), text.find("konnect_process_up{"));
  EXPECT_LT(text.find("konnect_process_up{name=\"worker_00\""), text.find("# HELP konnect_process_state "));
}

}  // namespace
}  // namespace konnect
