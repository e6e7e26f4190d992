// The machine's floor for "start N programs": the least any supervisor can do, a loop that
// posix_spawn()s the same child N times with its own session and nothing else: no config,
// no pipes, no bookkeeping. bench.py times it exactly as it times the supervisors (start
// until N children exist) and prints it under the table, so a target can be read against
// what this machine allows.
//
//   konnect-spawn-floor N PROGRAM
//
// Holds the children until SIGTERM, then kills each one's group and reaps them all.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: konnect-spawn-floor N PROGRAM\n");
    return 2;
  }
  const int n = std::atoi(argv[1]);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigmask(&attr, &none);
  char* child_argv[] = {argv[2], nullptr};
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[2], nullptr, &attr, child_argv, environ) != 0) {
      std::perror("posix_spawn");
      break;
    }
    pids.push_back(pid);
  }
  int sig = 0;
  sigwait(&term, &sig);
  for (const pid_t pid : pids) kill(-pid, SIGKILL);
  for (const pid_t pid : pids) waitpid(pid, nullptr, 0);
  return 0;
}
