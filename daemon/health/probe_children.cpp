#include "daemon/health/probe_children.hpp"

#include <unistd.h>

#include <csignal>

namespace konnect {

Result<pid_t> ProbeChildren::start(const SpawnSpec& spec, OnExit on_exit) {
  auto spawned = spawn_child(spec);
  if (!spawned) return spawned.error();
  // An exec failure is also written to the child's stderr, which the probe reads.
  ::close(spawned->report_fd);
  running_[spawned->pid] = std::move(on_exit);
  return spawned->pid;
}

bool ProbeChildren::on_exit(pid_t pid, int wait_status) {
  auto it = running_.find(pid);
  if (it == running_.end()) return false;
  // Not reaped yet (the reaper waits with WNOWAIT): the group id is still the child's.
  ::kill(-pid, SIGKILL);
  auto callback = std::move(it->second);
  running_.erase(it);
  if (callback) callback(wait_status);
  return true;
}

void ProbeChildren::kill(pid_t pid) {
  if (running_.count(pid)) ::kill(-pid, SIGKILL);
}

void ProbeChildren::forget(pid_t pid) {
  if (auto it = running_.find(pid); it != running_.end()) it->second = nullptr;
}

}  // namespace konnect
