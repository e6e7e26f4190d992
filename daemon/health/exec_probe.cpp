#include "daemon/health/exec_probe.hpp"

#include "common/config/units.hpp"
#include "common/signal_names.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace konnect {
namespace {

constexpr std::size_t kLastLineMax = 200;

struct Run : std::enable_shared_from_this<Run> {
  Run(const boost::asio::any_io_executor& executor, Clock& clock, ProbeChildren& children, std::string name,
      Probe::Done done)
      : output(executor), deadline(clock.make_deadline()), children(children), name(std::move(name)), done(std::move(done)) {}

  void start(const Result<SpawnSpec>& planned, Duration limit) {
    if (!planned) return post_failure(planned.error().message);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return post_failure(std::string("cannot create a pipe: ") + std::strerror(errno));
    SpawnSpec spec = *planned;
    spec.stdout_fd = fds[1];
    spec.stderr_fd = fds[1];
    std::weak_ptr<Run> weak = weak_from_this();
    auto pid = children.start(spec, [weak](int status) {
      if (auto self = weak.lock()) self->on_exit(status);
    });
    ::close(fds[1]);
    if (!pid) {
      ::close(fds[0]);
      return post_failure(pid.error().message);
    }
    this->pid = *pid;
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    output.assign(fds[0]);
    read();
    deadline->arm(limit, [weak, limit] {
      auto self = weak.lock();
      if (!self) return;
      self->children.kill(self->pid);
      self->finish(make_error(ErrorCode::Failed, "timed out after " + format_duration(limit)));
    });
  }

  void post_failure(std::string why) {
    boost::asio::post(output.get_executor(), [self = shared_from_this(), why = std::move(why)] {
      self->finish(make_error(ErrorCode::Failed, why));
    });
  }

  void read() {
    output.async_read_some(boost::asio::buffer(buf), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                                 std::size_t n) {
      self->take(n);
      if (!ec) self->read();
    });
  }

  // Output lines to the daemon log; the last one is kept for the failure message.
  void take(std::size_t n) {
    partial.append(buf.data(), n);
    std::size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      log_line(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    if (partial.size() > 4096) {
      log_line(partial);
      partial.clear();
    }
  }

  void log_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return;
    spdlog::debug("{}: {}", name, line);
    last_line = line.substr(0, kLastLineMax);
  }

  void on_exit(int status) {
    pid = 0;
    // What it wrote before it exited is in the pipe now.
    for (;;) {
      const ssize_t n = ::read(output.native_handle(), buf.data(), buf.size());
      if (n <= 0) break;
      take(static_cast<std::size_t>(n));
    }
    if (!partial.empty()) log_line(std::exchange(partial, {}));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return finish({});
    std::string why = WIFSIGNALED(status) ? "terminated by SIG" + signal_name(WTERMSIG(status))
                                          : "exit status " + std::to_string(WEXITSTATUS(status));
    if (!last_line.empty()) why += ": " + last_line;
    finish(make_error(ErrorCode::Failed, why));
  }

  void finish(Result<void> result) {
    deadline->cancel();
    boost::system::error_code ec;
    output.close(ec);
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    d(std::move(result));
  }

  void cancel() {
    done = nullptr;
    if (pid) {
      children.kill(pid);
      children.forget(pid);
    }
    deadline->cancel();
    boost::system::error_code ec;
    output.close(ec);
  }

  boost::asio::posix::stream_descriptor output;
  std::unique_ptr<Deadline> deadline;
  ProbeChildren& children;
  std::string name;
  Probe::Done done;
  pid_t pid = 0;
  std::array<char, 4096> buf{};
  std::string partial;
  std::string last_line;
};

class ExecProbe final : public Probe {
 public:
  ExecProbe(boost::asio::any_io_executor executor, Clock& clock, ProbeChildren& children,
            std::function<Result<SpawnSpec>()> plan, std::string name)
      : executor_(std::move(executor)), clock_(clock), children_(children), plan_(std::move(plan)), name_(std::move(name)) {}
  ~ExecProbe() override {
    if (current_) current_->cancel();
  }

  void run(Duration limit, Done done) override {
    if (current_) current_->cancel();
    current_ = std::make_shared<Run>(executor_, clock_, children_, name_, std::move(done));
    current_->start(plan_(), limit);
  }

 private:
  boost::asio::any_io_executor executor_;
  Clock& clock_;
  ProbeChildren& children_;
  std::function<Result<SpawnSpec>()> plan_;
  std::string name_;
  std::shared_ptr<Run> current_;
};

}  // namespace

std::unique_ptr<Probe> make_exec_probe(boost::asio::any_io_executor executor, Clock& clock, ProbeChildren& children,
                                       std::function<Result<SpawnSpec>()> plan, std::string name) {
  return std::make_unique<ExecProbe>(std::move(executor), clock, children, std::move(plan), std::move(name));
}

}  // namespace konnect
