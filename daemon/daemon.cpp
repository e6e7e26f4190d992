#include "daemon/daemon.hpp"

#include "daemon/web/web_page.hpp"

#include "common/config/config_loader.hpp"
#include "common/config/reload_plan.hpp"
#include "common/config/units.hpp"
#include "daemon/system/daemon_log.hpp"
#include "daemon/spawn/spawner.hpp"
#include "version.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>

#include <boost/asio/post.hpp>

namespace konnect {

Daemon::Daemon(Config config, bool allow_insecure_config, std::filesystem::path binary)
    : allow_insecure_config_(allow_insecure_config),
      binary_(std::move(binary)),
      signals_(io_, SIGTERM, SIGINT, SIGHUP),
      supervisor_(io_.get_executor(), std::make_shared<const Config>(std::move(config)), clock_, events_),
      reaper_(io_.get_executor(), [this](pid_t pid, int status) { supervisor_.on_child_exit(pid, status); },
              [this] { on_reaped(); }),
      handler_(supervisor_, *this),
      http_service_(handler_, supervisor_, *this, metrics_),
      server_(io_.get_executor(), handler_),
      pid1_(::getpid() == 1) {
  signals_.add(SIGUSR2);
  supervisor_.set_spawn_hook(&listeners_);
}

Daemon::~Daemon() {
  set_daemon_log_listener(nullptr);
  if (pid_file_written_) ::unlink(config().daemon.pid_file.c_str());
}

Result<CgroupTree> Daemon::prepare_host(std::string& why_not) {
  // A child inherits nothing from our SIGPIPE handling: the spawner resets dispositions.
  ::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  if (!OrphanSweeper::become_subreaper()) {
    spdlog::warn("Failed to become a child subreaper: {}; escaped descendants are not tracked",
                 std::strerror(errno));
  }
  return CgroupTree::open(config().daemon.cgroups, why_not);
}

Result<void> Daemon::setup() {
  std::string why_not;
  auto cgroups = prepare_host(why_not);
  if (!cgroups) return cgroups.error();
  if (cgroups->enabled()) {
    spdlog::info("Each program runs in its own cgroup under {}", (cgroups->base() / "programs").string());
    const auto killed = cgroups->kill_leftovers();
    for (const auto& name : killed) {
      spdlog::warn("{}: killed the processes an earlier konnectd left in its cgroup", name);
    }
    // Until they are gone they may hold what the new instance needs (a port, a lock).
    for (const auto& name : cgroups->wait_empty(killed, kKilledExitWait)) {
      spdlog::warn("{}: processes an earlier konnectd left are still exiting after {}; starting anyway", name,
                   format_duration(kKilledExitWait));
    }
  } else {
    spdlog::info("No cgroup per program ({}): stops rely on process groups and the orphan sweep", why_not);
  }
  supervisor_.use_cgroups(std::move(*cgroups));
  auto policy = AccessPolicy::create(config().daemon);
  if (!policy) return policy.error();
  if (auto r = server_.listen(config().daemon.socket, *policy,
                                ClientLimits{config().daemon.client_idle_timeout,
                                             static_cast<std::size_t>(config().daemon.client_max_per_user)}); !r) return r.error();
  if (auto r = serve_http(*policy); !r) return r.error();
  write_pid_file();
  return {};
}

Result<void> Daemon::serve_http(const AccessPolicy& policy, const handoff::State* state) {
  const DaemonConfig& d = config().daemon;
  server_.set_http(&http_service_);
  // The web page's token lives as long as konnectd, reexecs included: an open page goes on.
  http_service_.set_web_token(state && !state->web_token.empty() ? state->web_token : new_web_token());
  if (!d.http_username.empty()) http_service_.set_credentials(Credentials{d.http_username, d.http_password}, d.metrics_auth);
  const ClientLimits limits{d.client_idle_timeout, static_cast<std::size_t>(d.client_max_per_user)};
  if (!d.supervisor_socket.empty()) {
    supervisor_socket_ = std::make_unique<ControlServer>(io_.get_executor(), handler_);
    supervisor_socket_->set_http(&http_service_);
    if (state && state->supervisor_socket_fd >= 0) {
      supervisor_socket_->adopt(state->supervisor_socket_fd, d.supervisor_socket, policy, limits);
    } else if (auto r = supervisor_socket_->listen(d.supervisor_socket, policy, limits); !r) {
      return make_error(r.error().code, "[konnectd] supervisor_socket: " + r.error().message);
    }
  }
  if (!d.http.empty()) {
    HttpLimits http_limits;
    http_limits.idle_timeout = d.client_idle_timeout;
    http_server_ = std::make_unique<HttpServer>(io_.get_executor(), http_service_, http_limits);
    if (state && state->http_fd >= 0) {
      if (auto r = http_server_->adopt(state->http_fd); !r) return r.error();
    } else if (auto r = http_server_->listen(d.http); !r) {
      return r.error();
    }
  }
  return {};
}

void Daemon::write_pid_file() {
  const auto& path = config().daemon.pid_file;
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::trunc);
  out << ::getpid() << "\n";
  if (!out) {
    spdlog::warn("Failed to write pid file '{}'", path.string());
    return;
  }
  pid_file_written_ = true;
}

void Daemon::hold_signals(bool held) {
  sigset_t set;
  sigemptyset(&set);
  for (const int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGCHLD}) sigaddset(&set, sig);
  ::pthread_sigmask(held ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

void Daemon::begin_running() {
  if (pid1_) spdlog::info("konnectd is PID 1: it reaps every process left to it and stops the container's processes at exit");
  exit_watch_ = events_.subscribe([this](const Event& event) { on_state_change(event); });
  do_wait_signal();
  reaper_.start();
  hold_signals(false);  // the loop's handlers are in place: the main thread takes them now
  if (const auto interval = notifier_.watchdog_interval(); interval.count() > 0) {
    spdlog::info("systemd watchdog: WATCHDOG=1 every {} ms", interval.count() / 2000);
    do_watchdog();
  }
}

int Daemon::run() {
  begin_running();
  supervisor_.set_on_ready([this] {
    spdlog::info("All autostart programs are up (RUNNING or FATAL)");
    notifier_.notify("READY=1\nSTATUS=Supervising " + std::to_string(supervisor_.processes().size()) +
                     " process(es)");
    // The start's bookkeeping (operations, start gates, results) is gone by now: give its
    // memory back once, rather than keep it as free heap for the daemon's whole life.
    boost::asio::post(io_, [] { ::malloc_trim(0); });
  });
  spdlog::info("konnectd {} started with pid {}, {} process(es), control socket {}", kVersion,
               ::getpid(), supervisor_.processes().size(), config().daemon.socket.string());
  // supervisord's first events: every group added, then RUNNING.
  listeners_.configure(config());
  listeners_.supervisor_state(true);
  supervisor_.start_autostart();
  io_.run();
  spdlog::info("konnectd exits with {}", exit_code_);
  return exit_code_;
}

void Daemon::do_wait_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec == boost::asio::error::operation_aborted || phase_ == Phase::Done) return;  // see Reaper::do_wait
    do_wait_signal();  // re-arm first: on_signal() may finish shutdown and cancel it
    on_signal(signo);
  });
}

void Daemon::do_watchdog() {
  notifier_.notify("WATCHDOG=1");
  watchdog_timer_.expires_after(notifier_.watchdog_interval() / 2);
  watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && phase_ != Phase::Done) do_watchdog();
  });
}

void Daemon::on_signal(int signo) {
  switch (signo) {
    case SIGTERM:
    case SIGINT:
      begin_shutdown(signo == SIGTERM ? "SIGTERM received" : "SIGINT received");
      return;
    case SIGUSR2:
      spdlog::info("SIGUSR2 received: reopening log files");
      reopen_logs([](const std::vector<Error>&) {});
      return;
    case SIGHUP:
      reload_on_sighup();
      return;
    default:
      return;
  }
}

void Daemon::begin_shutdown(const char* why) {
  if (phase_ != Phase::Running) {
    spdlog::info("{} while already shutting down", why);
    return;
  }
  enter_stopping(why);
}

void Daemon::apply(ReloadPlan plan, std::function<void(Result<ProcessResults>)> done) {
  const std::vector<std::string> warnings = plan.warnings;
  const std::string log_level_before = config().daemon.log_level;
  auto accepted = supervisor_.apply(std::move(plan), [this, done](Result<ProcessResults> result) {
    notifier_.notify("READY=1\nSTATUS=Supervising " + std::to_string(supervisor_.processes().size()) + " process(es)");
    done(std::move(result));
    if (sighup_pending_) {
      // After this reload is gone (Supervisor resets it from a handler of its own).
      sighup_pending_ = false;
      boost::asio::post(io_, [this] { reload_on_sighup(); });
    }
  });
  if (!accepted) return done(accepted.error());  // shutting down, or another reload runs
  listeners_.configure(config());  // before the new listeners start (the plan's steps are posted)
  for (const auto& warning : warnings) spdlog::warn("Reload: {}", warning);
  // What runs from now on (reread compares against it) is the Supervisor's: plan.result.
  const Config& next = config();
  for (const auto& w : next.warnings) spdlog::warn("Config: {}", w.to_string());
  if (next.daemon.log_level != log_level_before) {
    spdlog::info("Reload: log_level {} -> {}", log_level_before, next.daemon.log_level);
    spdlog::set_level(spdlog::level::from_str(next.daemon.log_level));
  }
  notifier_.notify("RELOADING=1");
}

Result<Config> Daemon::read_config() const {
  // Exceptions stop here (STYLE.md): whatever a loader throws (memory, a library) is a failed
  // reread, never the end of the daemon.
  try {
    return load_config(config().file, allow_insecure_config_);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::Config, std::string("cannot read the config: ") + e.what());
  }
}

void Daemon::reload_on_sighup() {
  if (supervisor_.is_reloading()) {
    spdlog::info("SIGHUP received during a reload: reloading again once it is done");
    sighup_pending_ = true;
    return;
  }
  auto next = read_config();
  if (!next) {
    spdlog::error("SIGHUP received: the config is not applied, nothing changes: {}", next.error().to_string());
    return;
  }
  auto plan = plan_reload(config(), *next, {});
  if (!plan) {
    spdlog::error("SIGHUP received: {}", plan.error().message);
    return;
  }
  spdlog::info("SIGHUP received: reloading the config");
  apply(std::move(*plan), [](Result<ProcessResults> result) {
    if (!result) spdlog::error("Failed to reload after SIGHUP: {}", result.error().message);
  });
}

void Daemon::on_reaped() {
  const int killed = supervisor_.sweep_orphans();
  // At shutdown, exit only once no descendant is left: a killed orphan's own children come
  // back to us (subreaper) and are swept on the next reap.
  if (phase_ == Phase::Draining && killed == 0) finish_draining();
}

void Daemon::finish_draining() {
  if (!pid1_ || !Reaper::has_children()) return enter_done();
  // PID 1: whatever is still here (a daemon a program left, a `docker exec` shell) would be
  // killed by the kernel when we exit; kill it now and reap it, so that nothing outlives
  // konnectd unreaped. The Reaper calls on_reaped() as they go.
  if (leftovers_killed_) return;
  leftovers_killed_ = true;
  spdlog::info("PID 1: killing the processes left in the container");
  ::kill(-1, SIGKILL);
}

void Daemon::on_state_change(const Event& event) {
  const auto* change = std::get_if<StateChange>(&event.body);
  if (change == nullptr || (change->to != State::Exited && change->to != State::Fatal)) return;
  // After the chain of transitions: an instance with a restart due is STARTING or BACKOFF by then.
  boost::asio::post(io_, [this, name = change->name] { check_exit_for_good(name); });
}

void Daemon::check_exit_for_good(const std::string& namespec) {
  if (phase_ != Phase::Running) return;
  auto found = supervisor_.resolve({namespec});
  if (!found || found->size() != 1) return;  // removed meanwhile
  const Process& process = *found->front();
  if (!process.config().shutdown_on_exit) return;
  const ProcessInfo info = supervisor_.info(process);
  if (info.state != State::Exited && info.state != State::Fatal) return;
  // FATAL, or an exit whose status konnectd could not see (a MAINPID= not its child): 1.
  exit_code_ = info.state == State::Fatal || info.exitstatus < 0 ? 1 : info.exitstatus;
  const std::string why = namespec + " is " + std::string(to_string(info.state)) +
                          (info.state == State::Fatal ? "" : " (" + process.last_exit() + ")") +
                          " and has shutdown_on_exit: konnectd exits with " + std::to_string(exit_code_);
  enter_stopping(why.c_str());
}

void Daemon::follow_daemon_log(std::function<bool(const std::string&)> on_line) {
  if (log_followers_.empty()) {
    // spdlog's thread hands each line over to the loop; the followers live on the loop.
    set_daemon_log_listener([this, executor = io_.get_executor()](std::string line) {
      boost::asio::post(executor, [this, line = std::move(line)] { on_daemon_log_line(line); });
    });
  }
  log_followers_.push_back(std::move(on_line));
}

void Daemon::on_daemon_log_line(const std::string& line) {
  std::erase_if(log_followers_, [&](const auto& f) { return !f(line); });
  if (log_followers_.empty()) set_daemon_log_listener(nullptr);
}

void Daemon::reopen_logs(std::function<void(const std::vector<Error>&)> done) {
  reopen_daemon_log(config().daemon);
  supervisor_.reopen_logs([done = std::move(done)](std::vector<Error> errors) {
    for (const auto& e : errors) spdlog::warn("Failed to reopen a log: {}", e.to_string());
    done(errors);
  });
}

void Daemon::enter_stopping(const char* why) {
  phase_ = Phase::Stopping;
  spdlog::info("{}: shutting down", why);
  notifier_.notify("STOPPING=1\nSTATUS=Stopping " + std::to_string(supervisor_.processes().size()) + " process(es)");
  listeners_.supervisor_state(false);
  supervisor_.shutdown([this] { enter_draining(); });
}

void Daemon::enter_draining() {
  spdlog::info("Every process is stopped");
  // What the programs wrote last is still in their pipes: into the files before we go.
  supervisor_.drain_output([this] {
    phase_ = Phase::Draining;
    if (supervisor_.sweep_orphans() == 0) finish_draining();
  });
}

void Daemon::enter_done() {
  // Everything is down: cancel what keeps the loop alive so run() returns.
  if (phase_ == Phase::Done) return;
  phase_ = Phase::Done;
  exit_watch_.reset();
  supervisor_.cgroups().remove_empty();
  watchdog_timer_.cancel();
  handler_.end_streams();
  listeners_.stop();
  server_.stop();
  if (supervisor_socket_) supervisor_socket_->stop();
  if (http_server_) http_server_->stop();
  reaper_.cancel();
  boost::system::error_code ec;
  signals_.cancel(ec);
}

}  // namespace konnect
