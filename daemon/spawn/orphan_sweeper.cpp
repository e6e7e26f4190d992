#include "daemon/spawn/orphan_sweeper.hpp"

#include "daemon/system/small_file.hpp"

#include "daemon/spawn/pidfd.hpp"
#include "daemon/spawn/spawner.hpp"

#include <spdlog/spdlog.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <string_view>

namespace konnect {
namespace {

// Reads a small /proc file whole; empty on error.
std::string read_proc_file(const std::string& path) { return read_small_file(path).value_or(std::string()); }

}  // namespace

OrphanSweeper::OrphanSweeper(std::function<bool(pid_t)> is_main,
                             std::function<bool(std::uint64_t)> is_live)
    : is_main_(std::move(is_main)), is_live_(std::move(is_live)) {}

bool OrphanSweeper::become_subreaper() { return ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }

std::vector<pid_t> list_children() {
  std::vector<pid_t> pids;
  const std::string self = "/proc/" + std::to_string(::getpid()) + "/task";
  DIR* dir = ::opendir(self.c_str());
  if (dir == nullptr) return pids;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string text = read_proc_file(self + "/" + entry->d_name + "/children");
    const char* p = text.c_str();
    char* end = nullptr;
    for (long v = std::strtol(p, &end, 10); end != p; v = std::strtol(p, &end, 10)) {
      pids.push_back(static_cast<pid_t>(v));
      p = end;
    }
  }
  ::closedir(dir);
  return pids;
}

std::optional<std::uint64_t> read_spawn_id(pid_t pid) {
  const std::string env = read_proc_file("/proc/" + std::to_string(pid) + "/environ");
  const std::string prefix = std::string(kSpawnIdVar) + "=";
  std::string_view rest(env);
  while (!rest.empty()) {
    const auto nul = rest.find('\0');
    const std::string_view entry = rest.substr(0, nul);
    if (entry.substr(0, prefix.size()) == prefix) {
      return std::strtoull(std::string(entry.substr(prefix.size())).c_str(), nullptr, 10);
    }
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  return std::nullopt;
}

int OrphanSweeper::sweep() {
  int killed = 0;
  for (const pid_t pid : list_children()) {
    if (is_main_(pid)) continue;
    // Pin the process first, then judge it: whatever is signalled below is the process
    // whose marker was read, even if it were reaped and its pid reused in between.
    const Pidfd pidfd = Pidfd::open(pid);
    if (!pidfd.valid()) continue;  // already gone
    const auto id = read_spawn_id(pid);
    if (!id) continue;  // not ours to judge: no marker (a zombie reads empty, too)
    if (is_live_(*id)) continue;
    if (::getpgid(pid) == pid && pidfd.signal_group(SIGKILL) == EINVAL) {
      ::kill(-pid, SIGKILL);  // kernel before 6.9: exact, the unreaped leader holds the group id
    }
    pidfd.signal(SIGKILL);
    spdlog::info("Killed pid {}: left behind by an instance that is gone (spawn {})", pid, *id);
    ++killed;
  }
  return killed;
}

}  // namespace konnect
