#include "harness.hpp"

#include "common/cgroup_path.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

extern char** environ;

namespace konnect::test {

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(2ms);
  }
}

bool pid_alive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<pid_t> read_pids(const std::filesystem::path& path) {
  std::vector<pid_t> pids;
  std::istringstream in(read_file(path));
  pid_t p;
  while (in >> p) pids.push_back(p);
  return pids;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline,
                          const std::vector<std::string>& extra_env) {
  CommandResult result;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) return result;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (const auto& e : extra_env) env_store.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string toml_str(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string testchild_command(std::initializer_list<std::string> args) {
  std::string out = "command = [" + toml_str(kTestChild);
  for (const auto& a : args) out += ", " + toml_str(a);
  return out + "]\n";
}

std::vector<pid_t> processes_tagged(const std::string& tag) {
  std::vector<pid_t> pids;
  const std::string needle = "KONNECT_TEST_TAG=" + tag;
  DIR* dir = ::opendir("/proc");
  if (!dir) return pids;
  while (const dirent* e = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0 || pid == ::getpid()) continue;
    const std::string env = read_file("/proc/" + std::to_string(pid) + "/environ");
    std::string_view rest(env);
    while (!rest.empty()) {
      const auto nul = rest.find('\0');
      if (rest.substr(0, nul) == needle) {
        pids.push_back(pid);
        break;
      }
      if (nul == std::string_view::npos) break;
      rest.remove_prefix(nul + 1);
    }
  }
  ::closedir(dir);
  return pids;
}

Konnectd::Konnectd(const std::string& programs_toml, const std::string& extra_daemon_toml) {
  static std::atomic<int> counter{0};
  tag_ = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::ofstream cfg(config_file());
  cfg << "[konnectd]\n"
      << "socket = \"konnectd.sock\"\n"
      << "log_dir = \"logs\"\n"
      << "log_file = \"konnectd.log\"\n"
      << "pid_file = \"konnectd.pid\"\n"
      << "log_level = \"debug\"\n"
      << extra_daemon_toml << "\n"
      << programs_toml;
}

Konnectd::~Konnectd() { kill_everything(); }

bool Konnectd::start(std::chrono::milliseconds deadline) {
  const std::string notify_path = (dir() / "notify.sock").string();
  notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, notify_path.c_str(), sizeof addr.sun_path - 1);
  if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) return false;

  const std::string config = (config_override_.empty() ? config_file() : config_override_).string();
  const std::string notify_env = "NOTIFY_SOCKET=" + notify_path;
  const std::string tag_env = "KONNECT_TEST_TAG=" + tag_;
  std::vector<std::string> args;
  if (pid_namespace_) {
    // konnectd as PID 1 of a new pid namespace (a container's init); unshare waits for it
    // and exits with its code, and --kill-child ends it if unshare is killed.
    args = {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--kill-child"};
  }
  args.push_back(binary_);
  if (allow_insecure_) args.push_back("--allow-insecure-config");
  args.insert(args.end(), {"-c", config});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::putenv(const_cast<char*>(notify_env.c_str()));
    ::putenv(const_cast<char*>(tag_env.c_str()));
    for (auto& e : env_) ::putenv(e.data());
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    if (!cgroup_.empty()) {
      const int procs = ::open((cgroup_ / "cgroup.procs").c_str(), O_WRONLY);
      if (procs < 0 || ::write(procs, "0", 1) != 1) ::_exit(126);
      ::close(procs);
    }
    if (stdout_fd_ >= 0) ::dup2(stdout_fd_, 1);
    if (stderr_fd_ >= 0) ::dup2(stderr_fd_, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    for (const auto& n : notifications()) {
      if (n.find("READY=1") != std::string::npos) return true;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      early_exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{notify_fd_, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<long>(left.count(), 50)));
  }
}

std::vector<std::string> Konnectd::notifications() {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(notify_fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    notifications_.emplace_back(buf, static_cast<std::size_t>(n));
  }
  return notifications_;
}

int Konnectd::wait_exit(std::chrono::milliseconds deadline) {
  if (pid_ == 0) return std::exchange(early_exit_, -1);
  int status = 0;
  const bool done = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, deadline);
  if (!done) return -1;
  pid_ = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Konnectd::stop_with(int signo, std::chrono::milliseconds deadline) {
  if (pid_ == 0) return -1;
  const pid_t daemon = daemon_pid();
  ::kill(daemon > 0 ? daemon : pid_, signo);
  return wait_exit(deadline);
}

pid_t Konnectd::daemon_pid() const {
  if (pid_ <= 0 || !pid_namespace_) return pid_;
  const auto children = child_pids(pid_);
  return children.empty() ? 0 : children.front();
}

std::vector<pid_t> child_pids(pid_t pid) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::istringstream in(read_file(task.path() / "children"));
    for (pid_t child; in >> child;) out.push_back(child);
  }
  return out;
}

char process_state(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() ? '\0' : stat[paren + 2];
}

void Konnectd::kill_everything() {
  if (pid_ > 0) {
    if (stop_with(SIGTERM, 20s) < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
  }
  // Whatever is left (a test that broke the daemon): every process carrying our tag.
  for (int round = 0; round < 5; ++round) {
    const auto left = processes_tagged(tag_);
    if (left.empty()) break;
    for (pid_t p : left) ::kill(p, SIGKILL);
    wait_until([&] { return processes_tagged(tag_).empty(); }, 2s);
  }
  if (notify_fd_ >= 0) ::close(notify_fd_);
  notify_fd_ = -1;
}

CommandResult Konnectd::ctl(const std::vector<std::string>& args, std::chrono::milliseconds deadline) {
  std::vector<std::string> argv{kKonnectctl, "-s", socket().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, deadline);
}

void Konnectd::write_programs(const std::string& programs_toml) const {
  const std::string text = read_file(config_file());
  std::ofstream(config_file()) << text.substr(0, text.find("[program.")) << programs_toml;
}

pid_t Konnectd::pid_of(const std::string& name) {
  auto r = ctl({"pid", name});
  return r.exit_code == 0 ? static_cast<pid_t>(std::atoi(r.out.c_str())) : 0;
}

std::string Konnectd::state_of(const std::string& name) {
  auto r = ctl({"status", name});
  std::istringstream in(r.out);
  std::string n, state;
  in >> n >> state;
  return state;
}

bool Konnectd::wait_state(const std::string& name, const std::string& state, std::chrono::milliseconds deadline) {
  return wait_until([&] { return state_of(name) == state; }, deadline);
}

}  // namespace konnect::test

namespace konnect::test {

RunningCtl::RunningCtl(Konnectd& d, const std::vector<std::string>& args, std::chrono::milliseconds deadline)
    : thread_([this, &d, args, deadline] { result_ = d.ctl(args, deadline); }) {}

RunningCtl::~RunningCtl() {
  if (!joined_) thread_.join();
}

CommandResult RunningCtl::wait() {
  thread_.join();
  joined_ = true;
  return result_;
}

}  // namespace konnect::test

namespace konnect::test {

Background::Background(const std::vector<std::string>& argv) {
  int out[2];
  int in[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return;
  if (::pipe2(in, O_CLOEXEC) < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return;
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);  // its own process group: kill() ends whatever it started too
    ::dup2(out[1], 1);
    ::dup2(in[0], 0);
    ::execve(args[0], args.data(), environ);
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // (either side may run first)
  ::close(out[1]);
  ::close(in[0]);
  out_ = out[0];
  in_ = in[1];
}

bool Background::write_line(const std::string& text) {
  const std::string line = text + "\n";
  return in_ >= 0 && ::write(in_, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

std::string Background::line(std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
      std::string l = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return l;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd p{out_, POLLIN, 0};
    if (out_ < 0 || left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char b[4096];
    const ssize_t n = ::read(out_, b, sizeof b);
    if (n <= 0) return "";
    buf_.append(b, static_cast<std::size_t>(n));
  }
}

void Background::kill() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);  // its process group: what it started goes with it
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (out_ >= 0) ::close(out_);
  if (in_ >= 0) ::close(in_);
  out_ = -1;
  in_ = -1;
}

int fd_count(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

int settled_fd_count(pid_t pid) {
  int last = fd_count(pid), same = 0;
  wait_until(
      [&] {
        const int now = fd_count(pid);
        same = now == last ? same + 1 : 0;
        last = now;
        return same >= 50;  // wait_until looks every 2 ms
      },
      5s);
  return last;
}

RawClient::RawClient(const std::filesystem::path& socket) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

RawClient::~RawClient() { ::close(fd_); }

bool RawClient::send(const std::string& bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::string RawClient::line(std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    const auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string l = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return l;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char b[65536];
    const ssize_t n = ::recv(fd_, b, sizeof b, 0);
    if (n <= 0) return "";
    buf_.append(b, static_cast<std::size_t>(n));
  }
}

nlohmann::json RawClient::answer(std::chrono::milliseconds deadline) {
  return nlohmann::json::parse(line(deadline), nullptr, false);
}

}  // namespace konnect::test

namespace konnect::test {

TestCgroup::TestCgroup(bool delegated) {
  auto own = own_cgroup_dir();
  if (!own) {
    why_not_ = own.error().message;
    return;
  }
  static int counter = 0;
  const auto dir = *own / ("konnect-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  if (::mkdir(dir.c_str(), 0755) != 0) {
    why_not_ = "cannot create " + dir.string() + ": " + std::strerror(errno);
    return;
  }
  path_ = dir;
  if (!std::filesystem::exists(dir / "cgroup.kill")) {
    why_not_ = "no cgroup.kill (Linux before 5.14)";
  } else if (delegated && ::setxattr(dir.c_str(), "trusted.delegate", "1", 1, 0) != 0) {
    why_not_ = std::string("cannot set trusted.delegate: ") + std::strerror(errno);
  }
}

TestCgroup::~TestCgroup() {
  if (path_.empty()) return;
  // Everything below, konnectd included if it still runs; then the directories, deepest first.
  if (const int fd = ::open((path_ / "cgroup.kill").c_str(), O_WRONLY); fd >= 0) {
    ssize_t ignored = ::write(fd, "1", 1);
    (void)ignored;
    ::close(fd);
  }
  wait_until([&] { return read_file(path_ / "cgroup.events").find("populated 0") != std::string::npos; }, 10s);
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
  for (const auto& d : dirs) ::rmdir(d.c_str());
  ::rmdir(path_.c_str());
}

std::string cgroup_of(pid_t pid) {
  return unified_cgroup(read_file("/proc/" + std::to_string(pid) + "/cgroup")).value_or("");
}

}  // namespace konnect::test
