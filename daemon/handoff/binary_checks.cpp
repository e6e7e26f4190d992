#include "daemon/handoff/binary_checks.hpp"

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

// One question to the binary: the child, its stdout, the deadline; done once, when both the
// output has ended and the child has exited (or at the deadline), with the output of an exit 0.
struct Ask : std::enable_shared_from_this<Ask> {
  Ask(const BinaryCheck& check, std::string what, std::function<void(Result<std::string>)> done)
      : out(check.executor),
        deadline(check.clock.make_deadline()),
        children(check.children),
        what(std::move(what)),
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
    finish(answer);
  }

  void finish(Result<std::string> result) {
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
  std::function<void(Result<std::string>)> done;
  std::array<char, 512> buffer{};
  std::string answer;
  pid_t pid = 0;
  std::optional<int> status;
  bool output_ended = false;
  bool finished = false;
};

// Runs `binary args...` (pass_fd, when given, as its fd 3) and hands its output on.
void ask(const BinaryCheck& check, const std::vector<std::string>& args, int pass_fd,
         std::function<void(Result<std::string>)> done) {
  std::string what = check.binary.string();
  for (const auto& a : args) what += " " + a;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return done(make_error(ErrorCode::Io, what + ": cannot create a pipe: " + std::strerror(errno)));
  }
  auto asked = std::make_shared<Ask>(check, what, std::move(done));
  asked->out.assign(fds[0]);
  SpawnSpec spec;
  spec.path = check.binary.string();
  spec.argv = {check.binary.string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  for (char** e = environ; *e != nullptr; ++e) spec.env.emplace_back(*e);
  spec.directory = "/";
  spec.stdout_fd = fds[1];
  spec.stderr_fd = fds[1];  // an exec failure is written there too
  if (pass_fd >= 0) spec.listen_fds = {pass_fd};  // fd 3 in the child, as a held socket would be
  auto pid = check.children.start(spec, [asked](int wait_status) { asked->exited(wait_status); });
  ::close(fds[1]);
  if (!pid) return asked->finish(make_error(ErrorCode::Failed, what + ": " + pid.error().message));
  asked->pid = *pid;
  asked->deadline->arm(check.limit, [asked, limit = check.limit] {
    asked->finish(make_error(ErrorCode::Failed, asked->what + ": no answer within " + format_duration(limit)));
  });
  asked->read();
}

}  // namespace

void check_state_version(const BinaryCheck& check, int version, std::function<void(Result<void>)> done) {
  const std::string what = check.binary.string() + " --state-versions";
  ask(check, {"--state-versions"}, -1, [what, version, done = std::move(done)](Result<std::string> answer) {
    if (!answer) return done(answer.error());
    if (!handoff::lists_version(*answer, version)) {
      const std::string listed = answer->substr(0, answer->find('\n'));
      return done(make_error(ErrorCode::Failed, what + ": it reads state versions '" + listed + "', not " +
                                                    std::to_string(version)));
    }
    done({});
  });
}

void check_state(const BinaryCheck& check, int state_fd, std::function<void(Result<void>)> done) {
  ask(check, {"--check-state", "3"}, state_fd, [done = std::move(done)](Result<std::string> answer) {
    if (!answer) return done(answer.error());
    done({});
  });
}

}  // namespace konnect
