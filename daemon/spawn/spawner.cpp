#include "daemon/spawn/spawner.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <pthread.h>

namespace konnect {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The soft RLIMIT_NOFILE konnectd started with; children get it back.
rlimit g_initial_nofile{RLIM_INFINITY, RLIM_INFINITY};
bool g_nofile_raised = false;

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

Result<std::string> resolve_command(const std::string& argv0, const std::string& directory,
                                    const std::string& search_path) {
  if (argv0.empty()) return make_error(ErrorCode::SpawnError, "empty command");
  if (argv0.find('/') != std::string::npos) {
    // The child chdirs before exec, so a relative path is relative to `directory`.
    std::string path = argv0;
    if (path.front() != '/' && !directory.empty()) path = directory + "/" + path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return make_error(ErrorCode::SpawnError, "can't find command '" + argv0 + "'");
    }
    if (!S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
      return make_error(ErrorCode::SpawnError, "command at '" + path + "' is not executable");
    }
    return path;
  }
  std::string::size_type begin = 0;
  while (begin <= search_path.size()) {
    auto end = search_path.find(':', begin);
    if (end == std::string::npos) end = search_path.size();
    std::string dir = search_path.substr(begin, end - begin);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + argv0;
    if (is_executable_file(candidate)) return candidate;
    begin = end + 1;
  }
  return make_error(ErrorCode::SpawnError, "can't find command '" + argv0 + "'");
}

// Everything the child reads, built by the parent before clone(): the child shares
// konnectd's memory (CLONE_VM) and must write none of it.
struct ChildArgs {
  const SpawnSpec* spec;
  char* const* argv;
  char* const* envp;
  int report_fd;  // the write end of the spawn report pipe (see Spawned)
  // With held sockets: where the child writes its own pid, the digits of the envp entry
  // "LISTEN_PID=...". The one piece of the parent's memory the child writes, set aside for
  // it (the parent waits, CLONE_VFORK, and reads it never).
  char* listen_pid = nullptr;
};


// The child runs on a stack AddressSanitizer does not know; its instrumentation would warn
// ("ignoring requested __asan_handle_no_return") at every _exit. The two functions below
// touch only memory the parent built, so they go uninstrumented.
#define KONNECT_CHILD_CODE __attribute__((no_sanitize("address")))

// Async-signal-safe: the decimal digits of `value` and a NUL at `out` (room for 11 bytes).
KONNECT_CHILD_CODE void write_decimal(char* out, unsigned value) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) *out++ = digits[--n];
  *out = '\0';
}

// Makes the held sockets fds 3, 4, ... (close-on-exec off), moving whatever is in the way
// first: the report pipe (whose new number goes to *report_fd) and the sockets themselves.
// Returns false on failure, with errno set.
KONNECT_CHILD_CODE bool place_listen_fds(const SpawnSpec& spec, int* report_fd) {
  const int n = static_cast<int>(spec.listen_fds.size());
  if (n == 0) return true;
  const int first_free = 3 + n;
  if (*report_fd < first_free) {
    const int moved = ::fcntl(*report_fd, F_DUPFD_CLOEXEC, first_free);
    if (moved < 0) return false;
    *report_fd = moved;
  }
  int moved[64];  // config_sockets.hpp: at most 64
  for (int i = 0; i < n && i < 64; ++i) {
    moved[i] = ::fcntl(spec.listen_fds[static_cast<std::size_t>(i)], F_DUPFD_CLOEXEC, first_free);
    if (moved[i] < 0) return false;
  }
  for (int i = 0; i < n && i < 64; ++i) {
    if (::dup2(moved[i], 3 + i) < 0) return false;  // the new fd is not close-on-exec
  }
  return true;
}

// Async-signal-safe message to the child's stderr, "konnectd: WHAT PATH: ERRNO-TEXT\n", and
// "WHAT PATH: ERRNO-TEXT" to the report pipe (the spawn error shown in status).
[[noreturn]] KONNECT_CHILD_CODE void child_fail(const ChildArgs& a, const char* what, const char* path) {
  const int err = errno;
  const char* text = strerrordesc_np(err);
  if (text == nullptr) text = "unknown error";
  const char* parts[] = {what, path ? " " : "", path ? path : "", ": ", text};
  ssize_t ignored = ::write(STDERR_FILENO, "konnectd: ", 10);
  for (const char* p : parts) {
    ignored = ::write(STDERR_FILENO, p, std::strlen(p));
    ignored = ::write(a.report_fd, p, std::strlen(p));
  }
  ignored = ::write(STDERR_FILENO, "\n", 1);
  (void)ignored;
  ::_exit(127);
}

// The child, from clone() to execve(). It runs on its own stack in konnectd's memory while
// the thread that cloned it waits (CLONE_VFORK), with its own copies of the fd table and
// the signal dispositions. Credentials change through raw syscalls: glibc's setuid() and
// friends signal every thread of the process to change theirs too, and the threads in this
// memory are konnectd's.
KONNECT_CHILD_CODE int child_main(void* arg) {
  ChildArgs a = *static_cast<const ChildArgs*>(arg);  // on the child's stack: report_fd may move
  const SpawnSpec& spec = *a.spec;
  // First, so that everything the program ever starts is inside its cgroup.
  if (spec.cgroup_procs_fd >= 0 && ::write(spec.cgroup_procs_fd, "0", 1) != 1) {
    child_fail(a, "cannot join cgroup", spec.cgroup.c_str());
  }
  // NOTES.md: the blocked mask and ignored signals survive exec; hand the program a clean slate.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  if (::setsid() < 0) child_fail(a, "setsid failed", nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (g_nofile_raised) ::setrlimit(RLIMIT_NOFILE, &g_initial_nofile);

  // stdin is /dev/null; an output without a sink (stdout_log = "none") is /dev/null too.
  const int null = ::open("/dev/null", O_RDWR);
  if (null < 0) child_fail(a, "cannot open", "/dev/null");
  const int in = spec.stdin_fd >= 0 ? spec.stdin_fd : null;
  const int out = spec.stdout_fd >= 0 ? spec.stdout_fd : null;
  const int err = spec.stderr_fd >= 0 ? spec.stderr_fd : null;
  if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0) {
    child_fail(a, "dup2 failed", nullptr);
  }

  if (!spec.directory.empty() && ::chdir(spec.directory.c_str()) < 0) {
    child_fail(a, "cannot change directory to", spec.directory.c_str());
  }
  if (spec.umask) ::umask(*spec.umask);
  if (spec.switch_user) {
    if (::syscall(SYS_setgroups, spec.groups.size(), spec.groups.data()) < 0) {
      child_fail(a, "setgroups failed", nullptr);
    }
    if (::syscall(SYS_setresgid, spec.gid, spec.gid, spec.gid) < 0) child_fail(a, "setgid failed", nullptr);
    if (::syscall(SYS_setresuid, spec.uid, spec.uid, spec.uid) < 0) child_fail(a, "setuid failed", nullptr);
  }
  if (!place_listen_fds(spec, &a.report_fd)) child_fail(a, "cannot pass the held sockets", nullptr);
  if (a.listen_pid) write_decimal(a.listen_pid, static_cast<unsigned>(::getpid()));
  // NOTES.md: not every library opens fds with O_CLOEXEC. Everything above the held
  // sockets goes, but the report pipe: it stays until exec closes it (O_CLOEXEC), and EOF
  // tells the parent exec worked.
  const unsigned first = 3U + static_cast<unsigned>(spec.listen_fds.size());
  const unsigned keep = static_cast<unsigned>(a.report_fd);
  if ((keep > first && ::syscall(SYS_close_range, first, keep - 1, 0U) < 0) ||
      ::syscall(SYS_close_range, keep + 1, ~0U, 0U) < 0) {
    for (int fd = static_cast<int>(first); fd < 65536; ++fd) {
      if (fd != a.report_fd) ::close(fd);
    }
  }
  ::execve(spec.path.c_str(), a.argv, a.envp);
  child_fail(a, "couldn't exec", spec.path.c_str());
}

// The child's stack, reused by every spawn: only the event loop spawns, and it waits while
// the child runs. A guard page below it turns an overflow into a crash of the child alone.
constexpr std::size_t kChildStackSize = 256 * 1024;

char* child_stack_top() {
  static char* top = [] {
    const long page = ::sysconf(_SC_PAGESIZE);
    void* base = ::mmap(nullptr, kChildStackSize + page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return static_cast<char*>(nullptr);
    ::mprotect(base, page, PROT_NONE);
    return static_cast<char*>(base) + page + kChildStackSize;
  }();
  return top;
}

}  // namespace

Result<SpawnSpec> plan_spawn(const ProgramConfig& config, const SpawnIdentity& who,
                             char** daemon_environ) {
  SpawnSpec spec;
  spec.argv = config.command;
  spec.directory = config.directory.string();
  spec.umask = config.umask;

  if (!spec.directory.empty()) {
    struct stat st {};
    if (::stat(spec.directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return make_error(ErrorCode::SpawnError, "directory '" + spec.directory + "' does not exist");
    }
  }

  // Environment: the daemon's, then the user's identity, then the program's, then ours.
  std::map<std::string, std::string> env;
  for (char** e = daemon_environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  // Sockets passed to konnectd itself (systemd socket activation) are not its programs'.
  for (const char* var : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) env.erase(var);

  if (!config.user.empty()) {
    errno = 0;
    struct passwd* pw = ::getpwnam(config.user.c_str());
    if (pw == nullptr) return make_error(ErrorCode::SpawnError, "no such user '" + config.user + "'");
    if (::geteuid() != 0 && pw->pw_uid != ::geteuid()) {
      return make_error(ErrorCode::SpawnError,
                        "cannot run as user '" + config.user + "': konnectd is not running as root");
    }
    spec.switch_user = ::geteuid() == 0;
    spec.uid = pw->pw_uid;
    spec.gid = pw->pw_gid;
    env["HOME"] = pw->pw_dir;
    env["USER"] = pw->pw_name;
    env["LOGNAME"] = pw->pw_name;
    std::vector<gid_t> groups(64);
    int n = static_cast<int>(groups.size());
    if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) == -1) {
      groups.resize(static_cast<std::size_t>(n));
      ::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n);
    }
    groups.resize(static_cast<std::size_t>(n));
    spec.groups = std::move(groups);
  }
  if (!config.group.empty()) {
    struct group* gr = ::getgrnam(config.group.c_str());
    if (gr == nullptr) return make_error(ErrorCode::SpawnError, "no such group '" + config.group + "'");
    if (::geteuid() != 0 && gr->gr_gid != ::getegid()) {
      return make_error(ErrorCode::SpawnError,
                        "cannot run as group '" + config.group + "': konnectd is not running as root");
    }
    spec.switch_user = ::geteuid() == 0;
    if (config.user.empty()) spec.uid = ::geteuid();
    spec.gid = gr->gr_gid;
  }

  for (const auto& [k, v] : config.environment) env[k] = v;
  env["KONNECT_ENABLED"] = "1";
  env["KONNECT_PROCESS_NAME"] = who.process;
  env["KONNECT_GROUP_NAME"] = who.group;
  env[kSpawnIdVar] = std::to_string(who.spawn_id);

  auto path_it = env.find("PATH");
  const std::string search_path = path_it != env.end() ? path_it->second : kDefaultPath;
  auto path = resolve_command(config.command.empty() ? std::string() : config.command.front(),
                              spec.directory, search_path);
  if (!path) return path.error();
  spec.path = std::move(*path);

  spec.env.reserve(env.size());
  for (auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  return spec;
}

void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  g_initial_nofile = lim;
  lim.rlim_cur = lim.rlim_max;
  g_nofile_raised = ::setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

Result<Spawned> spawn_child(const SpawnSpec& spec) {
  // Everything the child needs is built here: after clone() only async-signal-safe calls.
  std::vector<char*> argv;
  argv.reserve(spec.argv.size() + 1);
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  // sd_listen_fds(3): LISTEN_PID is the child's own pid, which only the child knows.
  const bool listen = !spec.listen_fds.empty();
  const std::string listen_fds = "LISTEN_FDS=" + std::to_string(spec.listen_fds.size());
  const std::string listen_fdnames = "LISTEN_FDNAMES=" + spec.listen_fdnames;
  char listen_pid[32] = "LISTEN_PID=";
  std::vector<char*> envp;
  envp.reserve(spec.env.size() + 4);
  for (const auto& e : spec.env) {
    if (listen && (e.starts_with("LISTEN_FDS=") || e.starts_with("LISTEN_FDNAMES=") || e.starts_with("LISTEN_PID="))) {
      continue;
    }
    envp.push_back(const_cast<char*>(e.c_str()));
  }
  if (listen) {
    envp.push_back(const_cast<char*>(listen_fds.c_str()));
    envp.push_back(const_cast<char*>(listen_fdnames.c_str()));
    envp.push_back(listen_pid);
  }
  envp.push_back(nullptr);
  char* const stack = child_stack_top();
  if (stack == nullptr) {
    return make_error(ErrorCode::SpawnError, std::string("cannot map a stack to spawn: ") + std::strerror(errno));
  }

  int report[2];
  if (::pipe2(report, O_CLOEXEC) < 0) {
    return make_error(ErrorCode::SpawnError, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  const ChildArgs args{&spec, argv.data(), envp.data(), report[1], listen ? listen_pid + 11 : nullptr};

  // clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: the child shares konnectd's memory
  // until it execs, so the kernel copies no page tables and konnectd takes no copy-on-write
  // faults afterwards; with fork() both grew with every program running (docs/benchmarks.md).
  // Every signal stays blocked from before clone() until the child has reset its handlers:
  // a handler of konnectd's that ran in the child would write to Asio's self-pipe, shared
  // with konnectd (a phantom signal).
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t pid = ::clone(child_main, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, const_cast<ChildArgs*>(&args));
  // The child's failed calls set this thread's errno too (they share its TLS), so `err` is
  // used only when clone() itself failed; the child's errors come through the report pipe.
  const int err = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return make_error(ErrorCode::SpawnError, std::string("clone failed: ") + std::strerror(err));
  }
  ::fcntl(report[0], F_SETFL, O_NONBLOCK);
  return Spawned{pid, report[0]};
}

}  // namespace konnect
