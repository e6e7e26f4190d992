#include "daemon/supervision/process_table.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>

namespace konnect {

void ProcessTable::add(const Process& process, Place place) {
  const bool fresh = places_.emplace(&process, place).second;
  assert(fresh);
  (void)fresh;
}

void ProcessTable::remove(const Process& process) {
  places_.erase(&process);
  for (auto it = by_pid_.begin(); it != by_pid_.end();) {
    if (it->second.process == &process) {
      by_spawn_id_.erase(it->second.spawn_id);
      it = by_pid_.erase(it);
    } else {
      ++it;
    }
  }
}

void ProcessTable::started(Process& process, pid_t pid, std::uint64_t spawn_id) {
  assert(places_.count(&process) != 0);
  by_pid_[pid] = Main{&process, spawn_id, Pidfd::open(pid), pid, nullptr};
  by_spawn_id_[spawn_id] = pid;
}

std::optional<ProcessTable::MainState> ProcessTable::main_of(const Process& process) const {
  for (const auto& [pid, main] : by_pid_) {
    if (main.process == &process) return MainState{main.pidfd.fd(), main.pgid, main.watch != nullptr};
  }
  return std::nullopt;
}

void ProcessTable::adopt(Process& process, pid_t pid, std::uint64_t spawn_id, int pidfd, pid_t pgid) {
  assert(places_.count(&process) != 0);
  by_pid_[pid] = Main{&process, spawn_id, pidfd >= 0 ? Pidfd::adopt(pidfd) : Pidfd::open(pid), pgid > 0 ? pgid : pid,
                      nullptr};
  by_spawn_id_[spawn_id] = pid;
}

Result<void> ProcessTable::follow(Process& process, pid_t new_pid) {
  const auto old = std::find_if(by_pid_.begin(), by_pid_.end(),
                                [&](const auto& entry) { return entry.second.process == &process; });
  if (old == by_pid_.end()) return make_error(ErrorCode::Failed, "the instance has no main process");
  if (by_pid_.count(new_pid) != 0) return make_error(ErrorCode::Failed, "pid is another instance's main process");
  Pidfd pidfd = Pidfd::open(new_pid);
  const pid_t pgid = ::getpgid(new_pid);
  if (!pidfd.valid() || pgid <= 0) return make_error(ErrorCode::Failed, "no such process");
  const std::uint64_t spawn_id = old->second.spawn_id;
  by_pid_.erase(old);
  by_pid_[new_pid] = Main{&process, spawn_id, std::move(pidfd), pgid, nullptr};
  by_spawn_id_[spawn_id] = new_pid;
  return {};
}

void ProcessTable::watch_exit(boost::asio::any_io_executor executor, pid_t pid, std::function<void()> on_exit) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  it->second.watch = std::make_unique<ExitWatch>(std::move(executor), it->second.pidfd, std::move(on_exit));
}

Process* ProcessTable::find(pid_t pid) const {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : it->second.process;
}

void ProcessTable::exited(pid_t pid) {
  auto it = by_pid_.find(pid);
  if (it == by_pid_.end()) return;
  by_spawn_id_.erase(it->second.spawn_id);
  by_pid_.erase(it);
}

int ProcessTable::signal(pid_t pid, int signo) const {
  if (pid == 0 || pid == -1) return EINVAL;  // never "every process" or "our own group"
  const bool group = pid < 0;
  // Only main processes and their groups are signalled here. Through the main's pidfd when
  // there is one; kill(2) otherwise, which is exact too while the main is our unreaped
  // child (the Reaper reaps only after on_exit returned): its pid, and the group id it
  // holds, cannot have been reused. A main adopted through MAINPID= may not lead its group:
  // the group is the one it was in when adopted, held by it while it lives.
  const auto main = by_pid_.find(group ? -pid : pid);
  const Pidfd* pidfd = main != by_pid_.end() && main->second.pidfd.valid() ? &main->second.pidfd : nullptr;
  const auto kill_errno = [](pid_t target, int sig) { return ::kill(target, sig) == 0 ? 0 : errno; };
  int err = 0;
  if (!group) {
    err = pidfd ? pidfd->signal(signo) : kill_errno(pid, signo);
  } else if (main != by_pid_.end() && main->second.pgid != main->first) {
    // The pidfd signals the group its process leads, which an adopted main may not.
    err = kill_errno(-main->second.pgid, signo);
  } else {
    err = pidfd ? pidfd->signal_group(signo) : EINVAL;
    // No pidfd, or a kernel before 6.9. The group exists: spawn_child() returns only after
    // the child's setsid() (or its exit).
    if (err == EINVAL) err = kill_errno(pid, signo);
  }
  if (err != 0 && err != ESRCH) {
    spdlog::warn("Failed to send signal {} to {}: {}", signo, pid, std::strerror(err));
    return err;
  }
  return 0;
}

}  // namespace konnect
