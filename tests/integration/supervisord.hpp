#pragma once
// Debian's supervisord run by a test beside konnectd (side-by-side tests of issue 18): in
// its own session, tagged (KONNECT_TEST_TAG) so that whatever it leaves is found and killed.

#include "harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace konnect::test {

inline constexpr const char* kSupervisord = "/usr/bin/supervisord";
inline constexpr const char* kSupervisorctl = "/usr/bin/supervisorctl";

// supervisord under the test: its own session, tagged so that whatever it leaves is found.
class Supervisord {
 public:
  Supervisord(const std::filesystem::path& dir, const std::string& tag) : dir_(dir), tag_(tag) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      const std::string env = "KONNECT_TEST_TAG=" + tag;
      ::putenv(const_cast<char*>(env.c_str()));
      const std::string file = (dir / "supervisord.conf").string();
      ::execl(kSupervisord, kSupervisord, "-n", "-c", file.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Supervisord() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (!wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(15))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    for (pid_t p : processes_tagged(tag_)) ::kill(p, SIGKILL);
  }
  // After `supervisorctl shutdown`: reaped.
  bool wait_gone() {
    if (pid_ <= 0) return true;
    if (!wait_until([&] { return ::waitpid(pid_, nullptr, WNOHANG) == pid_; }, std::chrono::seconds(15))) return false;
    pid_ = -1;
    return true;
  }

 private:
  std::filesystem::path dir_;
  std::string tag_;
  pid_t pid_ = -1;
};

}  // namespace konnect::test
