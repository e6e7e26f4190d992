#include "daemon/handoff/version_check.hpp"

#include "common/config/units.hpp"
#include "common/handoff/handoff_state.hpp"
#include "daemon/spawn/spawner.hpp"
#include "daemon/supervision/process.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>

extern char** environ;

namespace konnect {
namespace {

constexpr std::size_t kMaxAnswer = 4096;

// One check: the child, its stdout, the deadline; done once, when both the output has ended
// and the child has exited (or at the deadline).
struct Check : std::enable_shared_from_this<Check> {
  Check(boost::asio::any_io_executor executor, Clock& clock, ProbeChildren& children, std::string what, int version,
        std::function<void(Result<void>)> done)
      : out(std::move(executor)),
        deadline(clock.make_deadline()),
        children(children),
        what(std::move(what)),
        version(version),
        done(std::move(done)) {}

  void read() {
    out.async_read_some(boost::asio::buffer(buffer), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                               std::size_t n) {
      if (self->finished) return;
      if (!ec && self->answer.size() < kMaxAnswer) {
        self->answer.append(self->buffer.data(), n);
        return self->read();
      }
      self->output_ended = true;
      self->judge();
    });
  }

  void exited(int wait_status) {
    status = wait_status;
    judge();
  }

  void judge() {
    if (finished || !output_ended || !status) return;
    if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
      std::string said = answer.substr(0, answer.find('\n'));
      return finish(make_error(ErrorCode::Failed, what + ": " + describe_wait_status(*status) +
                                                      (said.empty() ? "" : " (" + said + ")")));
    }
    if (!handoff::lists_version(answer, version)) {
      std::string listed = answer.substr(0, answer.find('\n'));
      return finish(make_error(ErrorCode::Failed, what + ": it reads state versions '" + listed + "', not " +
                                                      std::to_string(version)));
    }
    finish({});
  }

  void finish(Result<void> result) {
    if (finished) return;
    finished = true;
    deadline->cancel();
    boost::system::error_code ec;
    out.close(ec);
    if (pid > 0 && !status) {
      children.kill(pid);
      children.forget(pid);
    }
    done(std::move(result));
  }

  boost::asio::posix::stream_descriptor out;
  std::unique_ptr<Deadline> deadline;
  ProbeChildren& children;
  std::string what;
  int version;
  std::function<void(Result<void>)> done;
  std::array<char, 512> buffer{};
  std::string answer;
  pid_t pid = 0;
  std::optional<int> status;
  bool output_ended = false;
  bool finished = false;
};

}  // namespace

void check_state_version(boost::asio::any_io_executor executor, Clock& clock, ProbeChildren& children,
                         const std::filesystem::path& binary, int version, std::chrono::milliseconds limit,
                         std::function<void(Result<void>)> done) {
  const std::string what = binary.string() + " --state-versions";
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return done(make_error(ErrorCode::Io, what + ": cannot create a pipe: " + std::strerror(errno)));
  }
  auto check = std::make_shared<Check>(executor, clock, children, what, version, std::move(done));
  check->out.assign(fds[0]);
  SpawnSpec spec;
  spec.path = binary.string();
  spec.argv = {binary.string(), "--state-versions"};
  for (char** e = environ; *e != nullptr; ++e) spec.env.emplace_back(*e);
  spec.directory = "/";
  spec.stdout_fd = fds[1];
  spec.stderr_fd = fds[1];  // an exec failure is written there too
  auto pid = children.start(spec, [check](int wait_status) { check->exited(wait_status); });
  ::close(fds[1]);
  if (!pid) return check->finish(make_error(ErrorCode::Failed, what + ": " + pid.error().message));
  check->pid = *pid;
  check->deadline->arm(limit, [check, limit] {
    check->finish(make_error(ErrorCode::Failed, check->what + ": no answer within " + format_duration(limit)));
  });
  check->read();
}

}  // namespace konnect
