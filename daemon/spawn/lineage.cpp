#include "daemon/spawn/lineage.hpp"

#include "daemon/spawn/orphan_sweeper.hpp"

#include <fstream>
#include <string>

namespace konnect {

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses; it ends at the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return 0;
  try {
    return static_cast<pid_t>(std::stol(stat.substr(close + 4)));
  } catch (...) {
    return 0;
  }
}

bool belongs_to_instance(pid_t pid, pid_t main_pid, std::uint64_t spawn_id) {
  if (pid <= 0 || main_pid <= 0) return false;
  pid_t p = pid;
  for (int hops = 0; hops < 64 && p > 1; ++hops) {
    if (p == main_pid) return true;
    p = parent_of(p);
  }
  return spawn_id != 0 && read_spawn_id(pid) == spawn_id;
}

}  // namespace konnect
