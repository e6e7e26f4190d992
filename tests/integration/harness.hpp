#pragma once
// Integration harness: runs the real konnectd binary in a temp dir with real child programs
// (konnect-testchild) and drives it with the real konnectctl. Every wait is a condition with
// a deadline. Everything a test started is killed by pid at the end: konnectd itself, and
// every process that carries this test's KONNECT_TEST_TAG in its environment.

#include "tests/temp_dir.hpp"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace konnect::test {

using namespace std::chrono_literals;

inline const std::string kTestChild = KONNECT_TESTCHILD;
inline const std::string kKonnectd = KONNECTD_BIN;
inline const std::string kKonnectctl = KONNECTCTL_BIN;

// Polls pred every few ms until it holds or the deadline passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 10s);

bool pid_alive(pid_t pid);  // exists and is not a zombie
// The children of pid (every thread's), from /proc/PID/task/*/children.
std::vector<pid_t> child_pids(pid_t pid);
// The state letter in /proc/PID/stat ('R', 'S', 'Z', ...); '\0' if it is gone.
char process_state(pid_t pid);
std::string read_file(const std::filesystem::path& path);
std::vector<pid_t> read_pids(const std::filesystem::path& path);

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv with a deadline, capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline = 60s,
                          const std::vector<std::string>& extra_env = {});

// A TOML string literal for s.
std::string toml_str(const std::string& s);
// `command = [...]` running konnect-testchild with these args.
std::string testchild_command(std::initializer_list<std::string> args);

class Konnectd {
 public:
  // Writes `programs_toml` after a [konnectd] table that puts socket, logs and pid file in
  // the temp dir (extra_daemon_toml is added inside that table).
  explicit Konnectd(const std::string& programs_toml, const std::string& extra_daemon_toml = "");
  ~Konnectd();

  // Starts konnectd on another main file in dir() instead (a supervisord .conf); it must put
  // the socket, logs and pid file where socket(), log_dir() and daemon_log() look.
  void use_config(const std::filesystem::path& file) { config_override_ = file; }
  // Passes --allow-insecure-config to konnectd.
  void allow_insecure_config() { allow_insecure_ = true; }
  // Adds NAME=VALUE to konnectd's environment.
  void add_env(const std::string& name_value) { env_.push_back(name_value); }
  // Starts konnectd inside this cgroup v2 directory (a TestCgroup), as systemd would.
  void use_cgroup(const std::filesystem::path& dir) { cgroup_ = dir; }
  // Runs this konnectd binary instead of the build's (a copy a test may replace: reexec).
  void use_binary(const std::filesystem::path& binary) { binary_ = binary; }
  // Runs konnectd as PID 1 of a new pid namespace (`unshare --pid --fork --mount-proc`, as a
  // container's init). pid() is then unshare's, which exits with konnectd's code;
  // daemon_pid() is konnectd's (as this test sees it), and stop_with() signals it.
  void in_pid_namespace() { pid_namespace_ = true; }
  // konnectd's stdout / stderr go to this fd (the test's own otherwise).
  void stdout_to(int fd) { stdout_fd_ = fd; }
  void stderr_to(int fd) { stderr_fd_ = fd; }
  // Starts konnectd and waits for READY=1 on NOTIFY_SOCKET (false on timeout or early exit).
  bool start(std::chrono::milliseconds deadline = 15s);
  // Sends a signal and waits for konnectd to exit; returns its exit code (-1 on timeout).
  int stop_with(int signo, std::chrono::milliseconds deadline = 30s);
  // Waits for konnectd to exit on its own; returns its exit code (-1 on timeout; also when
  // start() saw it exit before READY=1, the code it exited with then).
  int wait_exit(std::chrono::milliseconds deadline = 30s);

  CommandResult ctl(const std::vector<std::string>& args, std::chrono::milliseconds deadline = 60s);
  // The pid of a process from `konnectctl pid NAME` (0 when not running).
  pid_t pid_of(const std::string& name);
  // The state word of NAME from `konnectctl status NAME`.
  std::string state_of(const std::string& name);
  bool wait_state(const std::string& name, const std::string& state, std::chrono::milliseconds deadline = 10s);

  pid_t pid() const { return pid_; }
  pid_t daemon_pid() const;
  // The KONNECT_TEST_TAG every process this konnectd started carries (processes_tagged).
  const std::string& tag() const { return tag_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path socket() const { return dir_.path() / "konnectd.sock"; }
  std::filesystem::path config_file() const { return dir_.path() / "konnectd.toml"; }
  // Replaces the programs of the config file (for reload); the [konnectd] table stays.
  void write_programs(const std::string& programs_toml) const;
  std::filesystem::path log_dir() const { return dir_.path() / "logs"; }
  std::string daemon_log() const { return read_file(dir_.path() / "konnectd.log"); }
  // Every notify message received so far.
  std::vector<std::string> notifications();

 private:
  void kill_everything();

  TempDir dir_;
  std::filesystem::path config_override_;
  bool allow_insecure_ = false;
  bool pid_namespace_ = false;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::filesystem::path cgroup_;
  std::string binary_ = kKonnectd;
  std::vector<std::string> env_;
  std::string tag_;
  pid_t pid_ = 0;
  int early_exit_ = -1;  // start() reaped it before READY=1
  int notify_fd_ = -1;
  std::vector<std::string> notifications_;
};

// konnectctl running in the background (for commands that wait), reaped by wait().
class RunningCtl {
 public:
  RunningCtl(Konnectd& d, const std::vector<std::string>& args, std::chrono::milliseconds deadline = 60s);
  ~RunningCtl();
  CommandResult wait();  // ctl() has its own deadline, so this cannot hang past it

 private:
  std::thread thread_;
  CommandResult result_;
  bool joined_ = false;
};

// A process running beside the test (a hostile client, say), its stdout read line by line;
// killed with SIGKILL and reaped by the destructor or kill().
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background() { kill(); }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  pid_t pid() const { return pid_; }
  pid_t daemon_pid() const;
  // The next line of its stdout, or "" on timeout/EOF.
  std::string line(std::chrono::milliseconds deadline = 10s);
  // A line to its stdin.
  bool write_line(const std::string& text);
  // SIGKILL to its process group (it runs in one of its own), then reaps it.
  void kill();

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
  std::string buf_;
};

// The number of open fds of pid (/proc/PID/fd), -1 if it is gone.
int fd_count(pid_t pid);
// fd_count once it has stayed the same for 100 ms (a client that just left may not have
// been seen to go yet); the last count after 5 s.
int settled_fd_count(pid_t pid);

// A raw protocol client: connect, send bytes, read answer lines with a deadline.
class RawClient {
 public:
  explicit RawClient(const std::filesystem::path& socket);
  ~RawClient();
  bool connected() const { return connected_; }
  bool send(const std::string& bytes);
  // The next answer line, or "" on timeout/EOF.
  std::string line(std::chrono::milliseconds deadline = 10s);
  nlohmann::json answer(std::chrono::milliseconds deadline = 10s);

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// A cgroup v2 directory below the test's own, marked delegated (trusted.delegate=1) the way
// systemd marks a Delegate=yes service's cgroup. Its destruction kills everything inside
// (cgroup.kill) and removes it with its sub-cgroups. Create it before the Konnectd using it.
class TestCgroup {
 public:
  explicit TestCgroup(bool delegated = true);
  ~TestCgroup();
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  // Empty when it was made; else why not (the test skips).
  const std::string& why_not() const { return why_not_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string why_not_;
};

// The cgroup v2 path of a process ("/" the root), from /proc/PID/cgroup; "" if gone.
std::string cgroup_of(pid_t pid);

// Pids of every live process whose environment has KONNECT_TEST_TAG=tag.
std::vector<pid_t> processes_tagged(const std::string& tag);

}  // namespace konnect::test
