#include "tests/e2e/stack.hpp"

#include "tests/integration/harness.hpp"
#include "tests/integration/net_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace konnect::test {

namespace fs = std::filesystem;

HttpAnswer http_get(int port, const std::string& target, std::chrono::milliseconds deadline) {
  HttpAnswer answer;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    answer.error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return answer;
  }
  const std::string request = "GET " + target + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    answer.error = std::string("send: ") + std::strerror(errno);
    ::close(fd);
    return answer;
  }
  std::string text;
  const auto end = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      answer.error = "timed out";
      break;
    }
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) answer.error = std::string("recv: ") + std::strerror(errno);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  static const std::regex status_line("^HTTP/1\\.[01] (\\d{3})");
  std::smatch m;
  if (std::regex_search(text, m, status_line)) answer.status = std::stoi(m[1]);
  if (const auto body = text.find("\r\n\r\n"); body != std::string::npos) answer.body = text.substr(body + 4);
  if (answer.status == 0 && answer.error.empty()) answer.error = "closed without an answer";
  return answer;
}

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return open;
}

bool home_page_answers_at(int port) {
  const auto a = http_get(port, "/", 10s);
  return a.status == 200 && a.body.find("kano_konnect ok") != std::string::npos;
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(text.substr(paren + 2));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  for (pid_t child; in >> child;) out.push_back(child);
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

Host::Host() {
  fs::permissions(root_.path(), fs::perms(0755));
  fs::copy(fs::path(KONNECT_SOURCE_DIR) / "tests/e2e/site", current(), fs::copy_options::recursive);
  const auto venv =
      run_command({"/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", env().string()}, 60s);
  venv_ok_ = venv.exit_code == 0;
  venv_error_ = venv.err;
  // The database (SQLite here, PostgreSQL on the host), written by the migration and by
  // uWSGI's workers, both as nobody.
  fs::create_directories(db().parent_path());
  fs::create_directories(scratch());
  if (const passwd* nobody = ::getpwnam("nobody")) {
    if (::chown(db().parent_path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0) venv_ok_ = false;
  }
}

std::string Host::shipped(const std::string& name) const {
  std::string text = read_file(fs::path(KONNECT_SOURCE_DIR) / "conf.d" / name);
  text = replace_all(text, "/srv/kano_konnect/current", current().string());
  return replace_all(text, "/srv/kano_konnect/shared/env", env().string());
}

std::string rabbitmq_program(const fs::path& dir) {
  fs::create_directories(dir);
  write_text(dir / "enabled_plugins", "[].\n");
  const auto d = dir.string();
  return "[program.rabbitmq]\n"
         "command = [\"/usr/lib/rabbitmq/bin/rabbitmq-server\"]\n"
         "priority = 10\n"
         "startsecs = 0\n"
         "stopwaitsecs = \"30s\"\n"
         "environment = { HOME = " + toml_str(d) + ", RABBITMQ_MNESIA_BASE = " + toml_str(d + "/mnesia") +
         ", RABBITMQ_LOG_BASE = " + toml_str(d + "/log") + ", RABBITMQ_ENABLED_PLUGINS_FILE = " +
         toml_str(d + "/enabled_plugins") + ", RABBITMQ_NODENAME = \"konnect-e2e@localhost\"" +
         ", RABBITMQ_NODE_IP_ADDRESS = \"127.0.0.1\", RABBITMQ_NODE_PORT = \"" + std::to_string(kAmqpPort) +
         "\", RABBITMQ_DIST_PORT = \"25680\", ERL_EPMD_PORT = \"4380\" }\n";
}

Nginx::Nginx(const fs::path& dir) : dir_(dir), port_(free_port()) {
  fs::create_directories(dir_ / "tmp");
  fs::permissions(dir_ / "tmp", fs::perms::all);
  const std::string d = dir_.string();
  // The seed's nginx.conf and sites-available/kano_konnect.conf, reduced to what matters:
  // workers as nobody, `location /` to uWSGI on :9090 with nginx's default proxy settings.
  write_text(dir_ / "nginx.conf",
             "user nobody nogroup;\n"
             "worker_processes 1;\n"
             "daemon off;\n"
             "pid " + d + "/nginx.pid;\n"
             "error_log " + d + "/error.log warn;\n"
             "events { worker_connections 1024; }\n"
             "http {\n"
             "  access_log off;\n"
             "  client_body_temp_path " + d + "/tmp/body;\n"
             "  proxy_temp_path " + d + "/tmp/proxy;\n"
             "  fastcgi_temp_path " + d + "/tmp/fastcgi;\n"
             "  uwsgi_temp_path " + d + "/tmp/uwsgi;\n"
             "  scgi_temp_path " + d + "/tmp/scgi;\n"
             "  server {\n"
             "    listen 127.0.0.1:" + std::to_string(port_) + ";\n"
             "    location / { proxy_pass http://127.0.0.1:" + std::to_string(kHttpPort) + "; }\n"
             "  }\n"
             "}\n");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    const std::string conf = (dir_ / "nginx.conf").string();
    const std::string log = (dir_ / "error.log").string();
    ::execl("/usr/sbin/nginx", "nginx", "-c", conf.c_str(), "-p", d.c_str(), "-e", log.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  if (pid_ > 0) ::setpgid(pid_, pid_);  // either side may run first
}

Nginx::~Nginx() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);  // fast shutdown: the master ends its workers, then exits
  const bool gone = wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, 10s);
  ::kill(-pid_, SIGKILL);  // whatever is left of the group (nothing, normally)
  if (!gone) ::waitpid(pid_, nullptr, 0);
}

bool Nginx::wait_ready(std::chrono::milliseconds deadline) {
  return pid_ > 0 && wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == 0 && port_open(port_); }, deadline);
}

std::string Nginx::error_log() const { return read_file(dir_ / "error.log"); }

Load::Load(int port, int clients, std::string target) {
  for (int i = 0; i < clients; ++i) {
    threads_.emplace_back([this, port, target] {
      while (!stop_) {
        const auto began = std::chrono::steady_clock::now();
        const HttpAnswer a = http_get(port, target, 30s);
        const auto took =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - began);
        std::lock_guard lock(mutex_);
        latencies_.push_back(took);
        if (a.status == 200) {
          ++answered_;
        } else {
          ++failures_[a.status != 0 ? std::to_string(a.status) : "no answer (" + a.error + ")"];
        }
      }
    });
  }
}

void Load::finish() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::size_t Load::answered() const {
  std::lock_guard lock(mutex_);
  return answered_;
}

std::size_t Load::failed() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [what, count] : failures_) n += static_cast<std::size_t>(count);
  return n;
}

std::string Load::failures() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [what, count] : failures_) out += (out.empty() ? "" : ", ") + what + " x" + std::to_string(count);
  return out;
}

std::chrono::microseconds Load::latency(double q) const {
  std::lock_guard lock(mutex_);
  if (latencies_.empty()) return {};
  std::vector<std::chrono::microseconds> sorted = latencies_;
  const auto at = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at), sorted.end());
  return sorted[at];
}

std::chrono::microseconds Load::max_latency() const {
  std::lock_guard lock(mutex_);
  return latencies_.empty() ? std::chrono::microseconds{} : *std::max_element(latencies_.begin(), latencies_.end());
}

}  // namespace konnect::test
