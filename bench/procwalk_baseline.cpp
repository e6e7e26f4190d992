// The baseline bench/metrics.py measures konnectd's /metrics against: what a supervisor that
// walks /proc at every scrape does (ochinchina's supervisord and gopsutil-based exporters):
// for each program's pid, its children are found by reading every /proc/PID/stat (one walk
// per process in the tree, as gopsutil's Children() does), and each process's stat and statm
// are read for CPU and memory. Prints the milliseconds each scrape took, one per line.
//
//   konnect-procwalk-baseline SCRAPES PID...

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string slurp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

long field(const std::string& stat, int index) {  // 1-based /proc/PID/stat field, from 3 on
  std::size_t pos = stat.rfind(')');
  if (pos == std::string::npos) return 0;
  ++pos;
  for (int f = 3; f < index && pos != std::string::npos; ++f) pos = stat.find(' ', pos + 1);
  return pos == std::string::npos ? 0 : std::strtol(stat.c_str() + pos + 1, nullptr, 10);
}

std::vector<long> children(long pid) {  // one walk of /proc
  std::vector<long> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long p = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || p <= 0) continue;
    if (field(slurp("/proc/" + std::string(e->d_name) + "/stat"), 4) == pid) out.push_back(p);
  }
  ::closedir(d);
  return out;
}

double usage(long pid, long& rss_pages) {  // the tree's CPU ticks and resident pages
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  const std::string statm = slurp("/proc/" + std::to_string(pid) + "/statm");
  rss_pages += statm.empty() ? 0 : std::strtol(statm.c_str() + statm.find(' ') + 1, nullptr, 10);
  double ticks = static_cast<double>(field(stat, 14) + field(stat, 15));
  for (long c : children(pid)) ticks += usage(c, rss_pages);
  return ticks;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SCRAPES PID...\n", argv[0]);
    return 2;
  }
  const int scrapes = std::atoi(argv[1]);
  for (int s = 0; s < scrapes; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    double total = 0;
    long rss = 0;
    for (int i = 2; i < argc; ++i) total += usage(std::atol(argv[i]), rss);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%.3f %.0f %ld\n", ms, total, rss);
  }
  return 0;
}
