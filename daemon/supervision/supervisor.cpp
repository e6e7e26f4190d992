#include "daemon/supervision/supervisor.hpp"

#include "common/config/config_diff.hpp"
#include "daemon/supervision/reload.hpp"
#include "daemon/spawn/spawner.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <set>
#include <tuple>

extern char** environ;

namespace konnect {

Supervisor::Supervisor(boost::asio::any_io_executor executor, const Config& config, Clock& clock, EventBus& events)
    : executor_(std::move(executor)),
      clock_(clock),
      events_(events),
      log_dir_(config.daemon.log_dir),
      pump_(executor_, {[this](OutputPump::StreamId id, const Error& e) { on_log_error(id, e); },
                        [this](OutputPump::StreamId id) { on_log_recovered(id); },
                        [this](OutputPump::StreamId id, std::string data) { on_log_data(id, data); }}),
      sweeper_([this](pid_t pid) { return by_pid_.count(pid) != 0; },
               [this](std::uint64_t id) { return by_spawn_id_.count(id) != 0; }) {
  std::vector<std::string> names;
  for (const auto& program : config.programs) names.push_back(program.name);
  add_programs(config, names);
}

Supervisor::~Supervisor() = default;

std::vector<Process*> Supervisor::add_programs(const Config& config, const std::vector<std::string>& programs) {
  log_dir_ = config.daemon.log_dir;
  const auto groups = program_groups(config);
  const std::size_t first = slots_.size();
  for (const auto& name : programs) {
    const ProgramConfig* program = config.find_program(name);
    assert(program != nullptr);
    const auto& [group, group_priority] = groups.at(name);
    add_program(*program, group, group_priority);
  }
  std::vector<Process*> added;
  for (std::size_t i = first; i < slots_.size(); ++i) added.push_back(slots_[i].process.get());
  rebuild_index();
  std::sort(added.begin(), added.end(), [this](const Process* a, const Process* b) { return rank_.at(a) < rank_.at(b); });
  return added;
}

void Supervisor::update_programs(const Config& config, const std::vector<std::string>& programs) {
  const auto groups = program_groups(config);
  for (const auto& name : programs) {
    auto shared = std::make_shared<const ProgramConfig>(*config.find_program(name));
    for (auto& slot : slots_) {
      if (slot.process->config().name != name) continue;
      slot.process->set_config(shared, groups.at(name).second);
      slot.output->set_config(shared);
    }
  }
  rebuild_index();
}

std::vector<Process*> Supervisor::instances_of(const std::vector<std::string>& programs) const {
  const std::set<std::string> names(programs.begin(), programs.end());
  std::vector<Process*> out;
  for (Process* p : ordered_) {
    if (names.count(p->config().name)) out.push_back(p);
  }
  return out;
}

void Supervisor::remove_programs(const std::vector<std::string>& programs, std::function<void()> done) {
  const std::vector<Process*> victims = instances_of(programs);
  const std::set<const Process*> gone(victims.begin(), victims.end());
  // Operations that wait on them let go of them now, before they are destroyed; each goes on
  // with its other processes (the next check may complete it).
  const Error gone_error = make_error(ErrorCode::Failed, "removed from the config by a reload");
  for (auto& op : operations_) {
    for (const Process* p : victims) op->drop(p, gone_error);
  }
  schedule_check();
  std::vector<OutputPump::StreamId> streams;
  for (const Process* p : victims) {
    assert(is_down(p->state()));
    for (const auto id : outputs_.at(p)->streams()) {
      streams.push_back(id);
      by_stream_.erase(id);
      end_followers(id);
    }
    outputs_.erase(p);
  }
  std::erase_if(by_pid_, [&](const auto& entry) { return gone.count(entry.second) != 0; });
  std::erase_if(by_spawn_id_, [&](const auto& entry) { return gone.count(entry.second) != 0; });
  // The sinks close their write ends here, so the pump sees each pipe's end once drained.
  std::erase_if(slots_, [&](const Slot& slot) { return gone.count(slot.process.get()) != 0; });
  rebuild_index();
  pump_.remove_streams(std::move(streams), std::move(done));
}

void Supervisor::rebuild_index() {
  // Priority order: group priority, then program priority, then name (supervisord's order).
  ordered_.clear();
  rank_.clear();
  by_name_.clear();
  by_group_.clear();
  for (auto& slot : slots_) ordered_.push_back(slot.process.get());
  auto key = [](const Process* p) {
    return std::make_tuple(p->group_priority(), p->config().priority, p->namespec());
  };
  std::sort(ordered_.begin(), ordered_.end(),
            [&](const Process* a, const Process* b) { return key(a) < key(b); });
  for (std::size_t i = 0; i < ordered_.size(); ++i) {
    Process* p = ordered_[i];
    rank_[p] = i;
    by_name_[p->group()].push_back(p);
    if (p->config().name != p->group()) by_name_[p->config().name].push_back(p);
    if (p->name() != p->config().name && p->name() != p->group()) by_name_[p->name()].push_back(p);
    by_group_[p->group()].push_back(p);
  }
}

void Supervisor::add_program(const ProgramConfig& program, const std::string& group, int group_priority) {
  auto shared = std::make_shared<const ProgramConfig>(program);
  for (const std::string& name : process_names(program)) {
    Slot slot;
    slot.process = std::make_unique<Process>(*this, shared, group, name, group_priority);
    slot.output = std::make_unique<OutputSink>(pump_, shared, name, log_dir_);
    outputs_[slot.process.get()] = slot.output.get();
    slots_.push_back(std::move(slot));
  }
}

void Supervisor::start_autostart() {
  for (Process* p : ordered_) {
    if (p->config().autostart) p->start();
  }
  check_ready();
}

Result<std::vector<Process*>> Supervisor::resolve(const std::vector<std::string>& targets) const {
  // Indexed lookups: a request may carry many targets, each costs its matches, not a scan.
  std::vector<bool> chosen(ordered_.size(), false);
  auto take = [&](const std::vector<Process*>& list) {
    for (const Process* p : list) chosen[rank_.at(p)] = true;
  };
  for (const auto& target : targets) {
    if (target == "all") {
      chosen.assign(ordered_.size(), true);
      continue;
    }
    const auto colon = target.find(':');
    if (colon == std::string::npos) {
      // NAME: a group (every member), a program (every instance) or a process.
      auto it = by_name_.find(target);
      if (it == by_name_.end()) return make_error(ErrorCode::NoSuchProcess, "no such process or group: " + target);
      take(it->second);
      continue;
    }
    auto group = by_group_.find(target.substr(0, colon));
    const std::string name = target.substr(colon + 1);
    bool matched = false;
    if (group != by_group_.end()) {
      for (Process* p : group->second) {
        if (name == "*" || p->name() == name) {
          chosen[rank_.at(p)] = true;
          matched = true;
        }
      }
    }
    if (!matched) return make_error(ErrorCode::NoSuchProcess, "no such process or group: " + target);
  }
  std::vector<Process*> out;
  for (std::size_t i = 0; i < ordered_.size(); ++i) {
    if (chosen[i]) out.push_back(ordered_[i]);
  }
  return out;
}

void Supervisor::run_operation(Operation::Kind kind, std::vector<Process*> processes, Completion done) {
  auto op = std::make_unique<Operation>(kind, std::move(processes), std::move(done));
  if (op->begin()) return;
  operations_.push_back(std::move(op));
}

void Supervisor::shutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Pending client operations end now: a restart must not start anything again.
  std::vector<std::unique_ptr<Operation>> pending;
  pending.swap(operations_);
  for (auto& op : pending) op->abort(make_error(ErrorCode::ShuttingDown, "konnectd is shutting down"));
  spdlog::info("Shutting down: stopping {} process(es) in reverse priority order", ordered_.size());
  run_operation(Operation::Kind::Stop, ordered_, [done = std::move(done)](nlohmann::json) { done(); });
}

void Supervisor::reopen_logs(std::function<void(std::vector<Error>)> done) { pump_.reopen_all(std::move(done)); }

Result<OutputPump::StreamId> Supervisor::log_stream(const Process& process, bool stderr_stream) const {
  const OutputSink& output = output_of(process);
  const auto id = stderr_stream ? output.stderr_stream() : output.stdout_stream();
  if (id) return *id;
  const bool discarded = (stderr_stream ? output.stderr_path() : output.stdout_path()).empty();
  return make_error(ErrorCode::Failed, process.namespec() + " has no " + (stderr_stream ? "stderr" : "stdout") +
                                           " log" + (discarded ? " (it is discarded)" : " yet (never started)"));
}

Process* Supervisor::process_of_stream(OutputPump::StreamId id) const {
  auto it = by_stream_.find(id);
  return it == by_stream_.end() ? nullptr : it->second;
}

void Supervisor::on_log_error(OutputPump::StreamId id, const Error& error) {
  Process* p = process_of_stream(id);
  spdlog::error("Failed to write the log of '{}': {}; output waits in its pipe, retrying every second",
                p ? p->namespec() : "?", error.to_string());
  if (p) p->set_log_error(error.to_string());
}

void Supervisor::follow(OutputPump::StreamId id, std::function<bool(const std::string&)> on_data,
                        std::function<void()> on_end) {
  // The pump already follows the stream (tail_file with follow); this only adds the listener.
  if (by_stream_.count(id) == 0) {
    if (on_end) on_end();  // removed by a reload while its tail was read
    return;
  }
  followers_[id].push_back({std::move(on_data), std::move(on_end)});
}

void Supervisor::end_followers(OutputPump::StreamId id) {
  auto it = followers_.find(id);
  if (it == followers_.end()) return;
  auto list = std::move(it->second);
  followers_.erase(it);
  for (auto& f : list) {
    if (f.on_end) f.on_end();
  }
}

void Supervisor::on_log_data(OutputPump::StreamId id, const std::string& data) {
  auto it = followers_.find(id);
  if (it == followers_.end()) {
    pump_.set_following(id, false);
    return;
  }
  auto& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(), [&](const auto& f) { return !f.on_data(data); }), list.end());
  if (list.empty()) {
    followers_.erase(it);
    pump_.set_following(id, false);
  }
}

void Supervisor::on_log_recovered(OutputPump::StreamId id) {
  Process* p = process_of_stream(id);
  spdlog::info("Writing the log of '{}' again", p ? p->namespec() : "?");
  if (p) p->set_log_error({});
}

void Supervisor::set_on_ready(std::function<void()> on_ready) { on_ready_ = std::move(on_ready); }

Result<void> Supervisor::apply(ReloadPlan plan, std::function<void(Result<nlohmann::json>)> done) {
  if (shutting_down_) return make_error(ErrorCode::ShuttingDown, "konnectd is shutting down");
  if (reload_) return make_error(ErrorCode::Failed, "a reload is in progress; try again when it is done");
  reload_ = std::make_unique<Reload>(*this, executor_, std::move(plan),
                                     [this, done = std::move(done)](Result<nlohmann::json> result) {
                                       // Reload calls this last; it is destroyed after it returns.
                                       boost::asio::post(executor_, [this] { reload_.reset(); });
                                       done(std::move(result));
                                     });
  reload_->begin();  // its first step is posted: done never runs before this returns
  return {};
}

// --- ProcessHost --------------------------------------------------------------------------

OutputSink& Supervisor::output_of(const Process& process) const { return *outputs_.at(&process); }

Result<pid_t> Supervisor::spawn(Process& process) {
  OutputSink& output = output_of(process);
  if (auto r = output.open(); !r) return r.error();
  for (const auto id : {output.stdout_stream(), output.stderr_stream()}) {
    if (id) by_stream_[*id] = &process;
  }
  const SpawnIdentity who{process.group(), process.name(), next_spawn_id_++};
  auto spec = plan_spawn(process.config(), who, environ);
  if (!spec) return spec.error();
  spec->stdout_fd = output.stdout_fd();
  spec->stderr_fd = output.stderr_fd();
  auto cgroup = cgroups_.open_procs(process.namespec());
  if (!cgroup) return cgroup.error();
  spec->cgroup_procs_fd = *cgroup;
  if (*cgroup >= 0) spec->cgroup = cgroups_.path_of(process.namespec()).string();
  auto spawned = spawn_child(*spec);
  if (*cgroup >= 0) ::close(*cgroup);
  if (!spawned) return spawned.error();
  const pid_t pid = spawned->pid;
  watch_spawn_report(process, who.spawn_id, spawned->report_fd);
  by_spawn_id_.erase(process.spawn_id());
  process.set_spawn_id(who.spawn_id);
  by_pid_[pid] = &process;
  // Still our unreaped child, so the pidfd names exactly it.
  pidfds_[pid] = Pidfd::open(pid);
  by_spawn_id_[who.spawn_id] = &process;
  return pid;
}

void Supervisor::watch_spawn_report(Process& process, std::uint64_t spawn_id, int fd) {
  // EOF (exec worked) or the child's failure text, read without blocking the loop.
  struct Report {
    Report(boost::asio::any_io_executor ex, int fd) : pipe(std::move(ex), fd) {}
    boost::asio::posix::stream_descriptor pipe;
    std::array<char, 512> buf{};
    std::string text;
  };
  auto report = std::make_shared<Report>(executor_, fd);
  auto read = std::make_shared<std::function<void()>>();
  // A reload may remove the process before the report ends: it is reached through lifetime().
  *read = [report, read, &process, alive = process.lifetime(), spawn_id] {
    report->pipe.async_read_some(
        boost::asio::buffer(report->buf),
        [report, read, &process, alive, spawn_id](const boost::system::error_code& ec, std::size_t n) {
          report->text.append(report->buf.data(), n);
          if (!ec && report->text.size() < 4096) {
            (*read)();
            return;
          }
          if (!report->text.empty() && !alive.expired()) process.on_spawn_failure(spawn_id, report->text);
          *read = nullptr;  // break the cycle
        });
  };
  (*read)();
}

int Supervisor::send_signal(pid_t pid, int signo) {
  if (pid == 0 || pid == -1) return EINVAL;  // never "every process" or "our own group"
  const bool group = pid < 0;
  // Only main processes and the groups they lead are signalled here. Through the main's
  // pidfd when there is one; kill(2) otherwise, which is exact too while the main is our
  // unreaped child (the Reaper reaps only after on_exit returned): its pid, and the group
  // id it holds, cannot have been reused.
  const auto fd = pidfds_.find(group ? -pid : pid);
  const Pidfd* pidfd = fd != pidfds_.end() && fd->second.valid() ? &fd->second : nullptr;
  const auto kill_errno = [](pid_t target, int sig) { return ::kill(target, sig) == 0 ? 0 : errno; };
  int err = 0;
  if (!group) {
    err = pidfd ? pidfd->signal(signo) : kill_errno(pid, signo);
  } else {
    err = pidfd ? pidfd->signal_group(signo) : EINVAL;
    // No pidfd, or a kernel before 6.9. The group exists: spawn_child() returns only after
    // the child's setsid() (or its exit).
    if (err == EINVAL) err = kill_errno(pid, signo);
  }
  if (err != 0 && err != ESRCH) {
    spdlog::warn("Failed to send signal {} to {}: {}", signo, pid, std::strerror(err));
    return err;
  }
  return 0;
}

void Supervisor::on_state_change(Process& process, State from) {
  events_.publish(process.change_from(from));
  schedule_check();
}

void Supervisor::on_child_exit(pid_t pid, int wait_status) {
  auto it = by_pid_.find(pid);
  if (it != by_pid_.end()) {
    Process* process = it->second;
    by_pid_.erase(it);
    by_spawn_id_.erase(process->spawn_id());
    // SPEC.md: no descendant of an old instance outlives it. Before on_exit, which may
    // start the next instance in the same cgroup.
    cgroups_.kill(process->namespec());
    process->on_exit(wait_status);  // may still signal the group through the pidfd
    pidfds_.erase(pid);
  } else {
    spdlog::debug("Reaped pid {} ({}), a descendant of a supervised process", pid,
                  describe_wait_status(wait_status));
  }
}

int Supervisor::sweep_orphans() { return sweeper_.sweep(); }

// --- waiting clients ----------------------------------------------------------------------

void Supervisor::schedule_check() {
  // Coalesce: look at operations once the current chain of transitions is over, so a
  // transient state (STOPPED on the way to STARTING) is never taken for an outcome.
  if (check_posted_) return;
  check_posted_ = true;
  boost::asio::post(executor_, [this] {
    check_posted_ = false;
    check_operations();
    check_ready();
  });
}

void Supervisor::check_operations() {
  // An operation's completion may start another operation: iterate over a snapshot.
  std::vector<std::unique_ptr<Operation>> pending;
  pending.swap(operations_);
  for (auto& op : pending) {
    if (!op->check()) operations_.push_back(std::move(op));
  }
}

void Supervisor::check_ready() {
  if (ready_ || !on_ready_) return;
  for (const Process* p : ordered_) {
    if (p->config().autostart && !p->has_settled()) return;
  }
  ready_ = true;
  on_ready_();
}

}  // namespace konnect
