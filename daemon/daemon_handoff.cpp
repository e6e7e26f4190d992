// konnectctl reexec (SPEC.md "Upgrade in place"), the Daemon's part: in the old image, the
// checks, the binary's --state-versions answer, the handover of every fd and the exec
// (daemon/handoff/image.hpp); in the new image, taking it all back and answering the client
// on the connection the old image handed over. The pid never changes: the programs stay
// konnectd's children and see nothing, their pipes stay open, their logs go on.

#include "daemon/daemon.hpp"

#include "common/config/config_writer.hpp"
#include "daemon/handoff/image.hpp"
#include "daemon/handoff/binary_checks.hpp"
#include "daemon/system/console.hpp"

#include <boost/asio/post.hpp>
#include "daemon/system/daemon_log.hpp"
#include "version.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <sys/socket.h>

#include <csignal>
#include <cstring>
#include <ctime>

namespace konnect {
namespace {

constexpr auto kBinaryCheckLimit = std::chrono::seconds(10);

std::int64_t monotonic_ns(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::int64_t monotonic_usec_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

void Daemon::reexec(const Json& id, const Responder& reply) {
  const auto requested_at = clock_.now();
  auto refuse = [&](ErrorCode code, const std::string& why) {
    spdlog::warn("Reexec refused: {}", why);
    reply(encode_error(id, make_error(code, "cannot reexec: " + why)));
  };
  if (phase_ != Phase::Running) return refuse(ErrorCode::ShuttingDown, "konnectd is shutting down");
  if (reexec_pending_) return refuse(ErrorCode::Failed, "a reexec is under way");
  if (auto busy = supervisor_.busy()) return refuse(ErrorCode::Failed, *busy + "; try again once it is done");
  if (binary_.empty()) return refuse(ErrorCode::Failed, "the path konnectd was started from is unknown");
  reexec_pending_ = true;
  spdlog::info("Reexec requested: asking {} whether it can take over", binary_.string());
  const BinaryCheck check{io_.get_executor(), clock_, supervisor_.probe_children(), binary_, kBinaryCheckLimit};
  auto call_off = [this, id, reply](const std::string& why) {
    reexec_pending_ = false;
    spdlog::warn("Reexec refused: {}", why);
    reply(encode_error(id, make_error(ErrorCode::Failed, "cannot reexec: " + why)));
  };
  // The binary must read the state version this one writes (2 with event listeners, 3 with
  // console streams).
  handoff::State needs;
  if (listeners_.any()) needs.listeners.emplace();
  for (const auto& p : config().programs) {
    if (p.stdout_log.kind == LogTarget::Kind::Console || p.stderr_log.kind == LogTarget::Kind::Console) {
      needs.streams.emplace_back().console = 1;
      break;
    }
  }
  check_state_version(check, needs.lowest_version(), [this, check, id, reply, requested_at,
                                                      call_off](Result<void> checked) {
    if (!checked) return call_off(checked.error().message);
    if (auto busy = supervisor_.busy(); busy || phase_ != Phase::Running) {
      return call_off(busy ? *busy + "; try again once it is done" : "konnectd is shutting down");
    }
    // The binary tries the state itself (its programs and config; the fds are numbers to it).
    auto fd = handoff::state_fd(handover_state());
    if (!fd) return call_off(fd.error().message);
    auto config = supervisor_.config();
    check_state(check, *fd, [this, fd = *fd, config, id, reply, requested_at, call_off](Result<void> fits) {
      ::close(fd);
      if (!fits) return call_off(fits.error().message);
      if (supervisor_.config() != config) return call_off("the config was reloaded meanwhile; try again");
      hand_over(id, reply, requested_at, call_off);
    });
  });
}

void Daemon::resume_serving() {
  server_.resume_accepting();
  if (supervisor_socket_) supervisor_socket_->resume_accepting();
  if (http_server_) http_server_->resume();
}

handoff::State Daemon::handover_state() {
  handoff::State state;
  state.konnectd_version = kVersion;
  state.config_file = config().file.string();
  state.config_toml = write_toml_config(config(), "");
  state.allow_insecure_config = allow_insecure_config_;
  state.control_fd = server_.listener_fd();
  state.supervisor_socket_fd = supervisor_socket_ ? supervisor_socket_->listener_fd() : -1;
  state.http_fd = http_server_ ? http_server_->listener_fd() : -1;
  state.web_token = http_service_.web_token();
  state.next_stream_id = supervisor_.pump().next_stream_id();
  state.next_source_id = supervisor_.pump().next_source_id();
  state.event_seq = events_.last_seq();
  supervisor_.snapshot(state);
  if (listeners_.any()) state.listeners = listeners_.snapshot();
  return state;
}

void Daemon::hand_over(const Json& id, const Responder& reply, Clock::TimePoint requested_at,
                       std::function<void(const std::string&)> call_off) {
  // A command may have come while the binary answered.
  if (phase_ != Phase::Running) return call_off("konnectd is shutting down");
  if (auto busy = supervisor_.busy()) return call_off(*busy + "; try again once it is done");
  notifier_.notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec_now()) +
                   "\nSTATUS=Re-executing " + binary_.string());
  // New clients wait in the socket's backlog for the next image from now on.
  server_.pause_for_handover();
  if (supervisor_socket_) supervisor_socket_->pause_for_handover();
  if (http_server_) http_server_->pause();
  const auto paused_at = clock_.now();
  supervisor_.pump().export_state([this, id, reply, requested_at, paused_at,
                                   call_off](Result<std::vector<handoff::StreamState>> streams) {
    if (!streams) {
      resume_serving();
      notifier_.notify("READY=1");
      return call_off(streams.error().message);
    }
    if (auto busy = supervisor_.busy(); busy || phase_ != Phase::Running) {
      // Started meanwhile (a signal, a client): the pump takes its streams back, nothing was
      // lost.
      supervisor_.pump().adopt(*streams, supervisor_.pump().next_stream_id(), supervisor_.pump().next_source_id());
      resume_serving();
      notifier_.notify("READY=1");
      return call_off(busy ? *busy + "; try again once it is done" : "konnectd is shutting down");
    }
    handoff::State state = handover_state();
    if (const int fd = reply.handover(); fd >= 0) {
      state.requester = handoff::Requester{fd, id.dump(), monotonic_ns(requested_at), monotonic_ns(paused_at)};
    }
    state.streams = std::move(*streams);
    spdlog::info("Reexec: handing {} process(es), {} log stream(s), {} held socket(s) and {} event listener pool(s) "
                 "over to {}",
                 supervisor_.processes().size(), state.streams.size(), state.sockets.size(),
                 state.listeners ? state.listeners->pools.size() : 0, binary_.string());
    shutdown_daemon_log();  // every line so far is in the file before the next image appends
    // And on the console: its buffer dies with this image (the pump made sure it was moving).
    // A console stuck since then keeps what it could not take within 2 s: lost with the image.
    Console::finish_all(std::chrono::seconds(2));
    notifier_.export_environment();
    // From here until the next image has its handlers: held, not lost, and never the default
    // action (SIGTERM's would end konnectd with every program orphaned).
    hold_signals(true);
    handoff::exec_next_image(state, binary_, {config().file, allow_insecure_config_});
  });
}

Result<void> Daemon::restore(const handoff::State& state) {
  std::string why_not;
  auto cgroups = prepare_host(why_not);
  if (!cgroups) return cgroups.error();
  // Nothing in the programs' cgroups is left over: it is ours, handed over.
  supervisor_.use_cgroups(std::move(*cgroups));
  auto policy = AccessPolicy::create(config().daemon);
  if (!policy) return policy.error();
  if (auto r = supervisor_.restore(state); !r) return r;
  listeners_.adopt(config(), state.listeners);
  server_.adopt(state.control_fd, config().daemon.socket, *policy,
                ClientLimits{config().daemon.client_idle_timeout,
                             static_cast<std::size_t>(config().daemon.client_max_per_user)});
  events_.continue_from(state.event_seq);
  if (auto r = serve_http(*policy, &state); !r) spdlog::error("HTTP is not served after the reexec: {}", r.error().message);
  write_pid_file();
  return {};
}

int Daemon::run_restored(const handoff::State& state, const std::string& reexec_error) {
  begin_running();  // the reaper first reaps whatever exited while the image changed, and
                    // what signals came during the exec are delivered now
  supervisor_.set_on_ready([this] {
    notifier_.notify("READY=1\nSTATUS=Supervising " + std::to_string(supervisor_.processes().size()) +
                     " process(es)");
  });
  notifier_.notify("READY=1\nSTATUS=Supervising " + std::to_string(supervisor_.processes().size()) + " process(es)");
  answer_requester(state, reexec_error);
  // A shutdown_on_exit program that ended while the image changed (its check was posted in
  // the previous image, after the state was taken): judged here.
  for (const Process* process : supervisor_.processes()) {
    if (process->config().shutdown_on_exit) {
      boost::asio::post(io_, [this, name = process->namespec()] { check_exit_for_good(name); });
    }
  }
  io_.run();
  spdlog::info("konnectd exits with {}", exit_code_);
  return exit_code_;
}

void Daemon::answer_requester(const handoff::State& state, const std::string& reexec_error) {
  const auto now = clock_.now();
  auto ms_since = [now](std::int64_t ns) {
    const Clock::TimePoint then(std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::nanoseconds(ns)));
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - then).count();
  };
  // took: the whole reexec, the binary's checks included (konnectd served meanwhile);
  // paused: from the old image's last answer to the new image's first.
  const auto took_ms = ms_since(state.requester ? state.requester->requested_at_ns : 0);
  const auto paused_ms = ms_since(state.requester ? state.requester->paused_at_ns : 0);
  const std::size_t processes = supervisor_.processes().size();
  if (reexec_error.empty()) {
    spdlog::info("konnectd {} took over from konnectd {} with pid {}: {} process(es) kept, {} ms after the request, "
                 "{} ms without serving",
                 kVersion, state.konnectd_version, ::getpid(), processes, took_ms, paused_ms);
  } else {
    spdlog::error("Reexec failed, konnectd {} goes on with {} process(es): {}", kVersion, processes, reexec_error);
  }
  if (!state.requester) return;
  Json id = Json::parse(state.requester->request_id, nullptr, false);
  if (id.is_discarded()) id = nullptr;
  const std::string line =
      reexec_error.empty()
          ? encode_ok(id, {{"message", "konnectd " + std::string(kVersion) + " took over from " + state.konnectd_version},
                           {"version", kVersion},
                           {"previous_version", state.konnectd_version},
                           {"pid", ::getpid()},
                           {"processes", processes},
                           {"took_ms", took_ms},
                           {"paused_ms", paused_ms}})
          : encode_error(id, make_error(ErrorCode::Failed, "reexec failed, konnectd " + std::string(kVersion) +
                                                                " goes on: " + reexec_error));
  // One short line to a socket whose client waits for it; then the connection ends.
  const int fd = state.requester->fd;
  for (std::size_t done = 0; done < line.size();) {
    const ssize_t n = ::send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

}  // namespace konnect
