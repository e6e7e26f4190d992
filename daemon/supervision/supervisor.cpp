#include "daemon/supervision/supervisor.hpp"

#include "common/config/config_diff.hpp"
#include "daemon/supervision/reload.hpp"
#include "daemon/spawn/lineage.hpp"
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

Supervisor::Supervisor(boost::asio::any_io_executor executor, std::shared_ptr<const Config> config, Clock& clock,
                       EventBus& events)
    : executor_(std::move(executor)),
      clock_(clock),
      events_(events),
      config_(std::move(config)),
      log_dir_(config_->daemon.log_dir),
      pump_(executor_, {[this](OutputPump::StreamId id, const Error& e) { on_log_error(id, e); },
                        [this](OutputPump::StreamId id) { on_log_recovered(id); },
                        [this](OutputPump::StreamId id, std::string data) { followers_.on_data(id, data); },
                        [this](OutputPump::StreamId id, std::uint64_t n) { on_log_rotated(id, n); }}),
      checks_({executor_, clock_, pump_, probe_children_,
               [this](const Process& p) { return output_sources(p); },
               [this](const Process& p, const std::vector<std::string>& argv) { return plan_probe(p, argv); },
               config_->daemon.socket.parent_path() / "notify",
               [this](Process& p, pid_t pid) { follow_main(p, pid); }}),
      sweeper_([this](pid_t pid) { return table_.is_main(pid); },
               [this](std::uint64_t id) { return table_.is_live(id); }) {
  std::vector<std::string> names;
  for (const auto& program : config_->programs) names.push_back(program.name);
  add_programs(names);
}

Supervisor::~Supervisor() = default;

std::shared_ptr<const ProgramConfig> Supervisor::program_config(const std::string& name) const {
  const ProgramConfig* program = config_->find_program(name);
  assert(program != nullptr);
  return std::shared_ptr<const ProgramConfig>(config_, program);  // aliasing: no copy
}

std::vector<Process*> Supervisor::add_programs(const std::vector<std::string>& programs) {
  log_dir_ = config_->daemon.log_dir;
  const auto groups = program_groups(*config_);
  const std::size_t first = programs_.size();
  programs_.reserve(programs_.size() + programs.size());
  for (const auto& name : programs) {
    const auto& [group, group_priority] = groups.at(name);
    add_program(name, group, group_priority);
  }
  std::vector<Process*> added;
  for (std::size_t i = first; i < programs_.size(); ++i) {
    for (auto& copy : programs_[i]->copies()) added.push_back(copy.current.get());
  }
  rebuild_index();
  targets_.sort(added);
  return added;
}

void Supervisor::update_programs(const std::vector<std::string>& programs) {
  const auto groups = program_groups(*config_);
  const std::set<std::string> names(programs.begin(), programs.end());
  for (auto& program : programs_) {
    if (names.count(program->name()) == 0) continue;
    program->set_config(program_config(program->name()), groups.at(program->name()).second);
    for (auto& copy : program->copies()) checks_.reconfigure(*copy.current);
  }
  rebuild_index();
}

std::vector<Process*> Supervisor::instances_of(const std::vector<std::string>& programs) const {
  const std::set<std::string> names(programs.begin(), programs.end());
  std::vector<Process*> out;
  for (Process* p : targets_.ordered()) {
    if (names.count(p->config().name)) out.push_back(p);
  }
  for (Process* p : previous_instances()) {
    if (names.count(p->config().name)) out.push_back(p);
  }
  return out;
}

void Supervisor::remove_programs(const std::vector<std::string>& programs, std::function<void()> done) {
  const std::set<std::string> names(programs.begin(), programs.end());
  std::vector<const Process*> victims;
  for (const auto& program : programs_) {
    if (names.count(program->name()) == 0) continue;
    for (const auto& copy : program->copies()) {
      for (const Process* p : {copy.current.get(), copy.previous.get()}) {
        if (p) victims.push_back(p);
      }
    }
  }
  // Operations that wait on them let go of them now, before they are destroyed; each goes on
  // with its other processes (the next check may complete it).
  const Error gone_error = make_error(ErrorCode::Failed, "removed from the config by a reload");
  for (auto& op : operations_) {
    for (const Process* p : victims) op->drop(p, gone_error);
  }
  for (auto& roll : rolls_) {
    for (const Process* p : victims) roll->drop(p, gone_error);
  }
  schedule_check();
  std::vector<OutputPump::StreamId> streams;
  for (const Process* p : victims) {
    assert(is_down(p->state()));
    const ProcessTable::Place& place = table_.place_of(*p);
    if (p == place.copy->current.get()) {
      for (const auto id : place.copy->output->streams()) {
        streams.push_back(id);
        by_stream_.erase(id);
        followers_.end(id);
      }
    }
    checks_.forget(*p);
    table_.remove(*p);
  }
  // The sinks close their write ends here, so the pump sees each pipe's end once drained.
  std::erase_if(programs_, [&](const auto& program) { return names.count(program->name()) != 0; });
  rebuild_index();
  pump_.remove_streams(std::move(streams), std::move(done));
}

void Supervisor::rebuild_index() {
  std::vector<Process*> current;
  for (auto& program : programs_) {
    for (auto& copy : program->copies()) current.push_back(copy.current.get());
  }
  targets_.rebuild(std::move(current));
}

void Supervisor::add_program(const std::string& name, const std::string& group, int group_priority) {
  programs_.push_back(std::make_unique<Program>(*this, pump_, program_config(name), group, group_priority, log_dir_));
  Program& added = *programs_.back();
  for (auto& copy : added.copies()) add_instance(copy, *copy.current);
}

void Supervisor::add_instance(ProgramCopy& copy, Process& process) {
  table_.add(process, {&copy, copy.next_instance++});
}

void Supervisor::start_autostart() {
  std::vector<Process*> autostart;
  for (Process* p : targets_.ordered()) {
    if (p->config().autostart) autostart.push_back(p);
  }
  // An operation, for the dependency order; what fails is logged as it happens.
  run_operation(Operation::Kind::Start, std::move(autostart), [](ProcessResults) {});
  check_ready();
}

void Supervisor::run_operation(Operation::Kind kind, std::vector<Process*> processes, Completion done) {
  if (kind != Operation::Kind::Start) interrupt_rolls(processes, kind);
  if (kind == Operation::Kind::Restart) {
    std::vector<Process*> rolling;
    std::erase_if(processes, [&](Process* p) {
      const bool rolls = p->config().restart == RestartMode::Rolling && p->state() == State::Running;
      if (rolls) rolling.push_back(p);
      return rolls;
    });
    if (!rolling.empty()) return restart_rolling(std::move(rolling), std::move(processes), std::move(done));
  }
  DependencyLookup lookup{[this](const Process& p) { return dependencies_of(p); },
                          [this](std::vector<Process*>& list) { targets_.sort(list); }, nullptr};
  auto op = std::make_unique<Operation>(kind, std::move(processes), std::move(done), std::move(lookup));
  if (op->begin()) return;
  operations_.push_back(std::move(op));
}

std::vector<ProcessDependency> Supervisor::dependencies_of(const Process& process, const ProgramConfig& config) const {
  std::vector<ProcessDependency> out;
  for (const auto& d : config.depends_on) {
    // A name means what it means to `start NAME`: a group's members, or a program's copies.
    auto resolved = targets_.resolve({d.name});
    if (!resolved) continue;  // the config loader checked every name
    for (Process* p : *resolved) {
      if (p != &process) out.push_back({p, d.condition});
    }
  }
  return out;
}

void Supervisor::shutdown(std::function<void()> done) {
  if (shutting_down_) return;
  shutting_down_ = true;
  // Pending client operations end now: a restart must not start anything again.
  std::vector<std::unique_ptr<Operation>> pending;
  pending.swap(operations_);
  const Error shutting_down = make_error(ErrorCode::ShuttingDown, "konnectd is shutting down");
  for (auto& op : pending) op->abort(shutting_down);
  std::vector<std::unique_ptr<Roll>> rolls;
  rolls.swap(rolls_);
  for (auto& roll : rolls) roll->abort(shutting_down);  // both instances are stopped below
  std::vector<Process*> everything = processes();
  for (Process* p : previous_instances()) everything.push_back(p);
  spdlog::info("Shutting down: stopping {} process(es) dependents first, then by reverse priority", everything.size());
  run_operation(Operation::Kind::Stop, std::move(everything), [this, done = std::move(done)](ProcessResults) {
    // Everything is down: no check is armed, and the notify sockets go (their reads would
    // keep the loop alive).
    checks_.close();
    done();
  });
}

bool Supervisor::start_pending(const Process& process) const {
  if (reload_) return true;
  if (std::any_of(rolls_.begin(), rolls_.end(), [&](const auto& roll) { return roll->involves(&process); })) return true;
  return std::any_of(operations_.begin(), operations_.end(),
                     [&](const auto& op) { return op->will_start(&process); });
}

void Supervisor::set_on_ready(std::function<void()> on_ready) { on_ready_ = std::move(on_ready); }

Result<void> Supervisor::apply(ReloadPlan plan, std::function<void(Result<ProcessResults>)> done) {
  if (shutting_down_) return make_error(ErrorCode::ShuttingDown, "konnectd is shutting down");
  if (reload_) return make_error(ErrorCode::Failed, "a reload is in progress; try again when it is done");
  config_ = std::make_shared<const Config>(std::move(plan.result));
  plan.result = Config{};
  reload_ = std::make_unique<Reload>(*this, executor_, std::move(plan),
                                     [this, done = std::move(done)](Result<ProcessResults> result) {
                                       // Reload calls this last; it is destroyed after it returns.
                                       boost::asio::post(executor_, [this] {
                                         reload_.reset();
                                         rebind_unchanged();
                                         release_sockets();  // of the programs it removed or changed
                                       });
                                       done(std::move(result));
                                     });
  reload_->begin();  // its first step is posted: done never runs before this returns
  return {};
}

// --- ProcessHost --------------------------------------------------------------------------

OutputSink& Supervisor::output_of(const Process& process) const { return *table_.place_of(process).copy->output; }

std::filesystem::path Supervisor::cgroup_of(const Process& process) const {
  if (!cgroups_.enabled()) return {};
  return cgroups_.path_of(process.namespec(), table_.place_of(process).instance);
}

Result<Started> Supervisor::spawn(Process& process) {
  OutputSink& output = output_of(process);
  if (auto r = output.open(); !r) return r.error();
  for (const auto id : {output.stdout_stream(), output.stderr_stream()}) {
    if (id) by_stream_[*id] = &process;
  }
  tap_log_events(process);
  const SpawnIdentity who{process.group(), process.name(), table_.next_spawn_id()};
  const unsigned instance = table_.place_of(process).instance;
  auto spec = plan_spawn(process.config(), who, environ);
  if (!spec) return spec.error();
  auto notify = checks_.notify_env(process, instance, spec->switch_user ? std::optional(NotifySocket::Owner{spec->uid, spec->gid})
                                                               : std::nullopt);
  if (!notify) return notify.error();
  for (auto& kv : *notify) {
    const std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(spec->env, [&](const std::string& e) { return e.starts_with(key); });
    spec->env.push_back(std::move(kv));
  }
  if (!process.config().sockets.empty()) {
    auto fds = sockets_.open(process.config(), spec->switch_user ? std::optional(ListenSocket::Owner{spec->uid, spec->gid})
                                                                  : std::nullopt);
    if (!fds) return fds.error();
    spec->listen_fds = std::move(*fds);
    spec->listen_fdnames = listen_fdnames(process.config());
  }
  // The new instance of a rolling restart writes into pipes of its own (same files).
  const bool beside = is_beside(process);
  if (beside) {
    if (auto r = output.open_beside(); !r) return r.error();
  }
  spec->stdout_fd = output.stdout_fd(beside);
  spec->stderr_fd = output.stderr_fd(beside);
  auto cgroup = cgroups_.open_procs(process.namespec(), instance);
  if (!cgroup) return cgroup.error();
  spec->cgroup_procs_fd = *cgroup;
  if (*cgroup >= 0) spec->cgroup = cgroups_.path_of(process.namespec(), instance).string();
  if (spawn_hook_) {
    if (auto r = spawn_hook_->before_spawn(process.config(), process.namespec(), *spec); !r) {
      if (*cgroup >= 0) ::close(*cgroup);
      return r.error();
    }
  }
  checks_.before_spawn(process, who.spawn_id);
  auto spawned = spawn_child(*spec);
  if (*cgroup >= 0) ::close(*cgroup);
  if (spawn_hook_) spawn_hook_->after_spawn(process.namespec(), spawned.has_value());
  if (!spawned) return spawned.error();
  const pid_t pid = spawned->pid;
  watch_spawn_report(process, who.spawn_id, spawned->report_fd);
  table_.started(process, pid, who.spawn_id);
  return Started{pid, who.spawn_id};
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


Result<SpawnSpec> Supervisor::plan_probe(const Process& process, const std::vector<std::string>& argv) const {
  // As the program runs: its user, directory and environment; its instance's spawn id, so
  // the orphan sweep takes what the probe leaves once the instance is gone.
  ProgramConfig config = process.config();
  config.command = argv;
  return plan_spawn(config, SpawnIdentity{process.group(), process.name(), process.spawn_id()}, environ);
}

int Supervisor::send_signal(pid_t pid, int signo) { return table_.signal(pid, signo); }

void Supervisor::on_state_change(Process& process, State from) {
  checks_.on_state_change(process, from);
  events_.publish(process.change_from(from));
  schedule_check();
}

void Supervisor::on_child_exit(pid_t pid, int wait_status) {
  if (Process* process = table_.find(pid)) {
    checks_.drain_notify(*process);  // a MAINPID= it sent before exiting comes first
    if (table_.find(pid) == process) return main_exited(*process, pid, wait_status);
  }
  if (!probe_children_.on_exit(pid, wait_status)) {
    spdlog::debug("Reaped pid {} ({}), a descendant of a supervised process", pid,
                  describe_wait_status(wait_status));
  }
}

void Supervisor::main_exited(Process& process, pid_t pid, std::optional<int> wait_status) {
  // SPEC.md: no descendant of an old instance outlives it. Before on_exit, which may
  // start the instance's next main process in the same cgroup.
  cgroups_.kill(process.namespec(), table_.place_of(process).instance);
  process.on_exit(wait_status);  // may still signal the group through the pidfd
  table_.exited(pid);
}

void Supervisor::follow_main(Process& process, pid_t pid) {
  // As systemd takes MAINPID=: only a live process of the instance itself, never konnectd,
  // another instance's main process or a stranger.
  const auto refuse = [&](const std::string& why) {
    spdlog::warn("{}: ignored MAINPID={}: {}", process.namespec(), pid, why);
  };
  if (process.pid() == 0) return refuse("the instance has no main process");
  if (pid == ::getpid()) return refuse("that is konnectd");
  if (!belongs_to_instance(pid, process.pid(), process.spawn_id())) {
    return refuse("not a process of the instance (its main process or a descendant)");
  }
  if (auto followed = table_.follow(process, pid); !followed) return refuse(followed.error().message);
  process.follow_main(pid);
  watch_main(pid);
}

void Supervisor::watch_main(pid_t pid) {
  // Our child (reparented here, or adopted from a double fork) is reaped here like any
  // main. One whose parent lives and waits for it: its pidfd tells when it is gone.
  if (parent_of(pid) == ::getpid()) return;
  table_.watch_exit(executor_, pid, [this, pid] {
    Process* main = table_.find(pid);
    if (main == nullptr || parent_of(pid) == ::getpid()) return;  // reparented: the Reaper has it
    checks_.drain_notify(*main);
    if (table_.find(pid) != main) return;
    main_exited(*main, pid, std::nullopt);
    sweeper_.sweep();  // no reap comes with this exit: what the instance left is swept now
  });
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
    // Sockets first: a `stop` answered by check_operations (whose reply may be written at
    // once) must find its program's sockets closed; again after, for what a roll's end left.
    release_sockets();
    check_operations();
    release_sockets();
    check_ready();
  });
}

void Supervisor::release_sockets() {
  // SPEC.md: a held socket closes when its program is stopped, FATAL or removed; restarts,
  // crashes and reloads (a start still to come) keep it. A reload may remove a program and
  // make it anew: it is judged once the reload is over.
  if (reload_) return;
  for (const std::string& name : sockets_.programs()) {
    const std::vector<Process*> instances = instances_of({name});
    const bool idle = std::all_of(instances.begin(), instances.end(), [&](const Process* p) {
      return (p->state() == State::Stopped || p->state() == State::Fatal) && !start_pending(*p);
    });
    if (idle) sockets_.close(name);
  }
}

void Supervisor::check_operations() {
  // An operation's completion may start another operation: iterate over a snapshot.
  std::vector<std::unique_ptr<Operation>> pending;
  pending.swap(operations_);
  for (auto& op : pending) {
    if (!op->check()) operations_.push_back(std::move(op));
  }
  // After the operations: a roll that ends an instance hands their references over to the
  // one that stays (end_roll), and they are all in operations_ again by now.
  std::vector<std::unique_ptr<Roll>> rolls;
  rolls.swap(rolls_);
  for (auto& roll : rolls) {
    if (!roll->check()) rolls_.push_back(std::move(roll));
  }
}

void Supervisor::check_ready() {
  if (ready_ || !on_ready_) return;
  for (const Process* p : processes()) {
    if (p->config().autostart && !p->has_settled()) return;
  }
  ready_ = true;
  on_ready_();
}

}  // namespace konnect
