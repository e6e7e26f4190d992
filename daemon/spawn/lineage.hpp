#pragma once
// Whether a process is one of an instance's own: the main process, a descendant of it (the
// parent chain in /proc), or one that escaped the chain (double fork, reparented to konnectd
// as subreaper) but still carries the instance's KONNECT_SPAWN_ID. For sd_notify
// credentials (daemon/health/notify_socket.hpp) and MAINPID=.

#include <sys/types.h>

#include <cstdint>

namespace konnect {

// The parent pid from /proc/PID/stat; 0 if the process is gone.
pid_t parent_of(pid_t pid);

bool belongs_to_instance(pid_t pid, pid_t main_pid, std::uint64_t spawn_id);

}  // namespace konnect
