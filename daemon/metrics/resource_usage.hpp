#pragma once
// What a process instance uses of the machine, for /metrics and the web page: CPU seconds
// and memory bytes. Exact from the instance's cgroup when konnectd runs its programs in
// cgroups (cpu.stat usage_usec, memory.current: every process it ever forked is counted,
// whatever it did to its session or parentage); else summed over its process tree from
// /proc, read in one pass over /proc for all instances at once (a process that left its
// tree for konnectd, the subreaper, is not counted then). Blocking file reads: call off the
// main loop (daemon/metrics/metrics_collector.hpp).

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <unordered_map>
#include <vector>

namespace konnect {

struct Usage {
  std::optional<double> cpu_seconds;         // user + system, since the instance began
  std::optional<std::uint64_t> memory_bytes;  // resident now
};

// A cgroup v2 directory's cpu.stat (usage_usec) and memory.current; a file that is not there
// (a controller not enabled for it) leaves its field empty.
Usage cgroup_usage(const std::filesystem::path& cgroup);

// Every process of /proc as it was at read(): its parent, CPU time and resident memory.
class ProcessTree {
 public:
  // One pass over proc (a directory laid out as /proc).
  static ProcessTree read(const std::filesystem::path& proc = "/proc");
  // root and its descendants: their CPU time (and that of the children each reaped) and
  // resident memory; empty fields when root is not there.
  Usage usage_of(pid_t root) const;

 private:
  struct Entry {
    pid_t ppid = 0;
    std::uint64_t ticks = 0;           // utime + stime
    std::uint64_t children_ticks = 0;  // cutime + cstime: its children that it waited for
    std::uint64_t rss_pages = 0;
  };
  std::unordered_map<pid_t, Entry> entries_;
  std::unordered_map<pid_t, std::vector<pid_t>> children_;
  long ticks_per_second_ = 100;
  long page_size_ = 4096;
};

}  // namespace konnect
