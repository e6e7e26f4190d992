#pragma once
// The seed host's pieces for the end-to-end tests: a plain HTTP client, the host's
// /srv/kano_konnect (the test project and a virtualenv) in a temp dir, RabbitMQ as a konnect
// program, nginx in front (started by the test as a plain process on loopback, stopped by its
// process group), and clients loading the site through nginx.

#include "tests/temp_dir.hpp"

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace konnect::test {

using namespace std::chrono_literals;

constexpr int kHttpPort = 9090;  // the seed's port: uWSGI, on a socket konnectd holds
constexpr int kAmqpPort = 5680;  // not 5672: a host RabbitMQ may hold that

struct HttpAnswer {
  int status = 0;  // 0: no answer
  std::string body;
  std::string error;  // why there is no answer
};

// GET over loopback with a deadline; HTTP/1.0, so the server closes when done.
HttpAnswer http_get(int port, const std::string& target, std::chrono::milliseconds deadline = 40s);
inline HttpAnswer http_get(const std::string& target, std::chrono::milliseconds deadline = 40s) {
  return http_get(kHttpPort, target, deadline);
}

bool port_open(int port);
// GET / answers 200 with the project's page (on uWSGI's port, or another: nginx's).
bool home_page_answers_at(int port);
inline bool home_page_answers() { return home_page_answers_at(kHttpPort); }

pid_t parent_of(pid_t pid);
std::vector<pid_t> children_of(pid_t pid);
std::string replace_all(std::string text, const std::string& from, const std::string& to);
void write_text(const std::filesystem::path& path, const std::string& text);

// The host's /srv/kano_konnect, built in a temp dir that user nobody can read: current/ is
// the test project, shared/env a virtualenv over Debian's Python packages.
class Host {
 public:
  Host();
  std::filesystem::path current() const { return root_.path() / "current"; }
  std::filesystem::path project() const { return current() / "kano_konnect"; }
  std::filesystem::path env() const { return root_.path() / "env"; }
  std::filesystem::path rabbit() const { return root_.path() / "rabbitmq"; }
  std::filesystem::path db() const { return root_.path() / "db" / "kano_konnect.sqlite3"; }
  std::filesystem::path migrations() const { return project() / "kano_konnect" / "migrations"; }
  std::filesystem::path scratch() const { return root_.path() / "scratch"; }
  bool ok() const { return venv_ok_; }
  const std::string& error() const { return venv_error_; }

  // A shipped conf.d file with the host paths pointing here.
  std::string shipped(const std::string& name) const;

 private:
  TempDir root_;
  bool venv_ok_ = false;
  std::string venv_error_;
};

// RabbitMQ as a plain process on loopback, with its own HOME, node name and ports.
std::string rabbitmq_program(const std::filesystem::path& dir);

// Debian's nginx in front of uWSGI as on the seed host (`proxy_pass http://127.0.0.1:9090`,
// workers as nobody), listening on a free loopback port. Its own process group: the
// destructor stops it (TERM, then KILL of the group) and reaps it.
class Nginx {
 public:
  explicit Nginx(const std::filesystem::path& dir);
  ~Nginx();
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  // Listening (and answering) within the deadline; else why not.
  bool wait_ready(std::chrono::milliseconds deadline = 10s);
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string error_log() const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// Clients requesting a path one after another, each from its own thread, until finish():
// every answer that is not a 200 counts as failed (with what it was), and every request's
// latency is kept.
class Load {
 public:
  Load(int port, int clients, std::string target = "/");
  ~Load() { finish(); }
  Load(const Load&) = delete;
  Load& operator=(const Load&) = delete;
  void finish();
  std::size_t answered() const;
  std::size_t failed() const;
  // "502 x3, no answer (Connection reset by peer) x1"
  std::string failures() const;
  // The q-quantile (0..1) of every latency so far, and the largest.
  std::chrono::microseconds latency(double q) const;
  std::chrono::microseconds max_latency() const;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::size_t answered_ = 0;
  std::map<std::string, int> failures_;
  std::vector<std::chrono::microseconds> latencies_;
};

}  // namespace konnect::test
