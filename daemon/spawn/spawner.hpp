#pragma once
// Turning a program's config into a running child: plan_spawn() resolves everything that
// can fail or is not async-signal-safe (PATH lookup, user and groups, environment) in the
// parent; spawn_child() starts the child with clone(CLONE_VM | CLONE_VFORK), as posix_spawn
// does, and the child only makes async-signal-safe calls (NOTES.md "Between fork and
// exec"): join its cgroup, reset signal dispositions and mask, setsid, stdio, chdir, umask,
// setgroups/setgid/setuid, the held sockets as fds 3..., close every other fd, execve. spawn_child() returns once the
// child has exec'd or failed, so its setsid() has always happened by then.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

// The environment variable every child carries; descendants inherit it, so the orphan
// sweeper can tell which instance a leftover process came from.
inline constexpr const char* kSpawnIdVar = "KONNECT_SPAWN_ID";

struct SpawnSpec {
  std::string path;               // the executable, resolved
  std::vector<std::string> argv;  // argv[0] as configured
  std::vector<std::string> env;   // "KEY=VALUE"
  std::string directory;          // empty: stay in the daemon's directory
  std::optional<mode_t> umask;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;      // supplementary groups (getgrouplist)
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Held listening sockets (daemon/sockets/), made the child's fds 3, 4, ... in this order,
  // with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID (the child's own pid) in its environment
  // (sd_listen_fds(3)). Every other fd of konnectd's is closed in the child.
  std::vector<int> listen_fds;
  std::string listen_fdnames;
  // An open cgroup.procs the child writes "0" to first (daemon/spawn/cgroup_tree.hpp); -1: none.
  int cgroup_procs_fd = -1;
  std::string cgroup;             // its directory, for the error message
};

struct SpawnIdentity {
  std::string group;
  std::string process;
  std::uint64_t spawn_id = 0;
};

// Resolves the command, directory, user and environment of one spawn. Errors are the
// spawn error shown in status ("can't find command 'uwsgi'").
Result<SpawnSpec> plan_spawn(const ProgramConfig& config, const SpawnIdentity& who,
                             char** daemon_environ);

// Starts the child and waits until it has exec'd or exited. Only clone() itself can fail
// here; a failure in the child (exec, chdir, setuid) is written to the child's stderr and to
// report_fd, and the child exits 127.
struct Spawned {
  pid_t pid = 0;
  // Read end of a close-on-exec pipe (non-blocking): EOF once the exec succeeded, or the
  // failure ("couldn't exec /x: Exec format error") before EOF. The caller owns it.
  int report_fd = -1;
};
Result<Spawned> spawn_child(const SpawnSpec& spec);

// konnectd raises its own open-file limit (it holds fds for many programs); children get
// back the soft limit konnectd started with, as systemd gives services 1024 by default.
void raise_fd_limit();

}  // namespace konnect
