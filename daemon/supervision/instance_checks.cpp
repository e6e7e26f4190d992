#include "daemon/supervision/instance_checks.hpp"

#include "daemon/health/exec_probe.hpp"
#include "daemon/health/net_probe.hpp"
#include "daemon/spawn/lineage.hpp"
#include "daemon/supervision/process.hpp"

#include "common/config/units.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <regex>

namespace konnect {

void InstanceChecks::on_state_change(Process& process, State from) {
  const State now = process.state();
  if (now == from) return;
  auto it = entries_.find(&process);
  // Leaving STARTING, or a spawn that failed before it got there (its log watch was armed).
  if (now != State::Starting && it != entries_.end()) disarm_ready(it->second);
  if (from == State::Running && it != entries_.end()) {
    it->second.health.reset();
    it->second.failures = 0;
    if (it->second.watchdog) it->second.watchdog->cancel();
  }
  rearm(process);
}

Result<std::vector<std::string>> InstanceChecks::notify_env(Process& process, unsigned instance,
                                                            std::optional<NotifySocket::Owner> owner) {
  const ProgramConfig& config = process.config();
  if (!uses_notify(config)) return std::vector<std::string>{};
  Entry& entry = entries_[&process];
  if (!entry.notify) {
    std::error_code ec;
    std::filesystem::create_directories(host_.notify_dir, ec);
    if (ec) return make_error(ErrorCode::Io, "cannot create " + host_.notify_dir.string() + ": " + ec.message());
    const std::string file = process.namespec() + (instance > 1 ? "." + std::to_string(instance) : "");
    auto socket = NotifySocket::open(host_.executor, host_.notify_dir / file, owner, process.namespec(),
                                     notify_handler(process, entry));
    if (!socket) return socket.error();
    entry.notify = std::move(*socket);
  }
  std::vector<std::string> env{"NOTIFY_SOCKET=" + entry.notify->path().string()};
  if (config.watchdog) {
    env.push_back("WATCHDOG_USEC=" + std::to_string(std::chrono::microseconds(*config.watchdog).count()));
  }
  return env;
}

NotifySocket::OnMessage InstanceChecks::notify_handler(Process& process, Entry& entry) {
  return [this, &process, &entry](pid_t sender, const NotifyMessage& message) { on_notify(process, entry, sender, message); };
}

std::pair<int, std::string> InstanceChecks::notify_socket(const Process& process) const {
  auto it = entries_.find(&process);
  if (it == entries_.end() || !it->second.notify) return {-1, {}};
  return {it->second.notify->fd(), it->second.notify->path().string()};
}

void InstanceChecks::adopt_notify(Process& process, int fd, std::filesystem::path path) {
  Entry& entry = entries_[&process];
  entry.notify = NotifySocket::adopt(host_.executor, fd, std::move(path), process.namespec(),
                                     notify_handler(process, entry));
}

void InstanceChecks::rearm(Process& process) {
  if (process.state() == State::Starting && process.config().ready) arm_ready(process);
  if (process.state() == State::Running && process.config().health) arm_health(process);
  if (process.state() == State::Running && process.config().watchdog) arm_watchdog(process, entries_[&process]);
}

void InstanceChecks::on_notify(Process& process, Entry& entry, pid_t sender, const NotifyMessage& message) {
  // NotifyAccess=all: the main process and its descendants, while there is an instance.
  if (process.pid() == 0 || !belongs_to_instance(sender, process.pid(), process.spawn_id())) {
    spdlog::warn("{}: ignored a notify message from pid {}, not a process of the running instance",
                 process.namespec(), sender);
    return;
  }
  const ProgramConfig& config = process.config();
  if (message.status) process.set_notify_status(*message.status);
  if (message.stopping) {
    spdlog::info("{}: pid {} says it is stopping (STOPPING=1)", process.namespec(), sender);
    if (entry.watchdog) entry.watchdog->cancel();
  }
  if (message.mainpid && *message.mainpid != process.pid()) host_.follow_main(process, *message.mainpid);
  if (message.watchdog && !message.stopping && process.state() == State::Running && config.watchdog) {
    arm_watchdog(process, entry);
  }
  if (message.watchdog_trigger && process.state() == State::Running && config.watchdog) {
    process.on_watchdog_timeout("watchdog triggered by the program (WATCHDOG=trigger)");
  }
  if (message.ready && config.ready && config.ready->probe.kind == ProbeTarget::Kind::Notify) {
    process.on_ready(process.spawn_id());
  }
}

void InstanceChecks::drain_notify(const Process& process) {
  auto it = entries_.find(&process);
  if (it != entries_.end() && it->second.notify) it->second.notify->drain();
}

void InstanceChecks::arm_watchdog(Process& process, Entry& entry) {
  if (!entry.watchdog) entry.watchdog = host_.clock.make_deadline();
  const Duration limit = *process.config().watchdog;
  entry.watchdog->arm(limit, [&process, limit] {
    process.on_watchdog_timeout("watchdog: no WATCHDOG=1 for " + format_duration(limit));
  });
}

void InstanceChecks::reconfigure(Process& process) {
  auto it = entries_.find(&process);
  if (it != entries_.end()) {
    it->second.health.reset();
    it->second.failures = 0;
  }
  // (watchdog and notify changes need a new process: config::needs_restart)
  process.set_health(Health::None);
  if (process.state() == State::Running && process.config().health) arm_health(process);
}

void InstanceChecks::forget(const Process& process) {
  auto it = entries_.find(&process);
  if (it == entries_.end()) return;
  disarm_ready(it->second);
  entries_.erase(it);
}

void InstanceChecks::close() {
  for (auto& [process, entry] : entries_) disarm_ready(entry);
  entries_.clear();
}

std::unique_ptr<Probe> InstanceChecks::make_probe(const Process& process, const ProbeTarget& target, const char* what) {
  switch (target.kind) {
    case ProbeTarget::Kind::Tcp: return make_tcp_probe(host_.executor, host_.clock, target);
    case ProbeTarget::Kind::Http: return make_http_probe(host_.executor, host_.clock, target);
    case ProbeTarget::Kind::Exec:
      return make_exec_probe(
          host_.executor, host_.clock, host_.children,
          [plan = host_.plan, &process, argv = target.command] { return plan(process, argv); },
          process.namespec() + " " + what + " check");
    case ProbeTarget::Kind::Log:
    case ProbeTarget::Kind::Notify:
      break;
  }
  return nullptr;
}

void InstanceChecks::arm_ready(Process& process) {
  const ReadyCheck& check = *process.config().ready;
  Entry& entry = entries_[&process];
  const std::uint64_t spawn_id = process.spawn_id();
  if (check.probe.kind == ProbeTarget::Kind::Log && !entry.log_watches.empty() && entry.log_spawn_id == spawn_id) {
    return;  // armed by before_spawn
  }
  disarm_ready(entry);
  if (check.probe.kind == ProbeTarget::Kind::Log) {
    return arm_log(process, entry, spawn_id);
  }
  auto probe = make_probe(process, check.probe, "ready");
  if (!probe) return;
  entry.ready = std::make_unique<CheckLoop>(
      host_.clock, std::move(probe), check.interval, check.probe_timeout, [&process, spawn_id](Result<void> result) {
        if (result) {
          process.on_ready(spawn_id);
          return;
        }
        spdlog::debug("{}: not ready yet: {}", process.namespec(), result.error().message);
        process.note_not_ready(spawn_id, result.error().message);
      });
  entry.ready->start(Duration{0});
}

void InstanceChecks::before_spawn(Process& process, std::uint64_t spawn_id) {
  const auto& ready = process.config().ready;
  if (!ready || ready->probe.kind != ProbeTarget::Kind::Log) return;
  Entry& entry = entries_[&process];
  disarm_ready(entry);
  arm_log(process, entry, spawn_id);
}

void InstanceChecks::arm_log(Process& process, Entry& entry, std::uint64_t spawn_id) {
  // Compiled at each start: the config checked that it compiles.
  auto pattern = std::make_shared<const std::regex>(process.config().ready->probe.text, std::regex::ECMAScript);
  for (const auto& [stream, source] : host_.sources(process)) {
    const std::uint64_t token = next_token_++;
    host_.pump.watch_lines(stream, source, token, pattern, [&process, alive = process.lifetime(), spawn_id] {
      if (!alive.expired()) process.on_ready(spawn_id);
    });
    entry.log_watches.push_back({stream, token});
  }
  entry.log_spawn_id = spawn_id;
}

void InstanceChecks::disarm_ready(Entry& entry) {
  entry.ready.reset();
  for (const auto& watch : entry.log_watches) host_.pump.unwatch_lines(watch.stream, watch.token);
  entry.log_watches.clear();
  entry.log_spawn_id = 0;
}

void InstanceChecks::arm_health(Process& process) {
  const HealthCheck& check = *process.config().health;
  Entry& entry = entries_[&process];
  entry.failures = 0;
  process.set_health(Health::Ok);
  auto probe = make_probe(process, check.probe, "health");
  if (!probe) return;
  entry.health = std::make_unique<CheckLoop>(host_.clock, std::move(probe), check.interval, check.timeout,
                                             [this, &process, &entry](Result<void> result) {
                                               on_health(process, entry, std::move(result));
                                             });
  entry.health->start(check.interval);
}

void InstanceChecks::on_health(Process& process, Entry& entry, Result<void> result) {
  if (result) {
    if (entry.failures > 0) spdlog::info("{}: health check passes again", process.namespec());
    entry.failures = 0;
    process.set_health(Health::Ok);
    return;
  }
  const int limit = process.config().health->failures;
  ++entry.failures;
  process.set_health(Health::Failing);
  spdlog::warn("{}: health check failed ({} of {}): {}", process.namespec(), entry.failures, limit,
               result.error().message);
  if (entry.failures < limit) return;
  // Stopping destroys the loop that called us (on_state_change); nothing is touched after.
  process.on_unhealthy("health check failed " + std::to_string(entry.failures) + " time(s) in a row: " +
                       result.error().message);
}

}  // namespace konnect
