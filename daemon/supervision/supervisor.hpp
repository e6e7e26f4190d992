#pragma once
// The supervised programs, built from a Config, and the ProcessHost their processes act
// through (fork/exec, kill). Owns: every Program (daemon/supervision/program.hpp: its copies,
// their output and instances), the sockets held for them (SocketHolder), the ProcessTable the reaper dispatches through, the
// TargetIndex requests are resolved with, and the operations clients wait on. Publishes
// every state change on the EventBus.
// Expects: the Daemon wires the Reaper's exits to on_child_exit() and runs everything on
// one event loop thread.

#include "common/config/config.hpp"
#include "common/error.hpp"
#include "common/config/reload_plan.hpp"
#include "daemon/spawn/cgroup_tree.hpp"
#include "daemon/supervision/operation.hpp"
#include "daemon/supervision/instance_checks.hpp"
#include "daemon/health/probe_children.hpp"
#include "daemon/spawn/orphan_sweeper.hpp"
#include "daemon/sockets/socket_holder.hpp"
#include "daemon/output/output_sink.hpp"
#include "daemon/spawn/pidfd.hpp"
#include "daemon/spawn/spawn_hook.hpp"
#include "daemon/output/stream_followers.hpp"
#include "daemon/supervision/process.hpp"
#include "daemon/supervision/process_host.hpp"
#include "daemon/supervision/process_table.hpp"
#include "daemon/supervision/program.hpp"
#include "daemon/supervision/roll.hpp"
#include "daemon/supervision/target_index.hpp"
#include "daemon/events/event_bus.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace konnect {

class Supervisor final : public ProcessHost {
 public:
  using Completion = Operation::Completion;

  // clock and events must outlive it. Every program's settings point into `config` (one
  // copy of each [program], shared: docs/benchmarks.md, RSS).
  Supervisor(boost::asio::any_io_executor executor, std::shared_ptr<const Config> config, Clock& clock,
             EventBus& events);
  Supervisor(boost::asio::any_io_executor executor, const Config& config, Clock& clock, EventBus& events)
      : Supervisor(std::move(executor), std::make_shared<const Config>(config), clock, events) {}
  ~Supervisor() override;

  // From now on each program runs in its own cgroup of `tree` (before start_autostart).
  void use_cgroups(CgroupTree tree) { cgroups_ = std::move(tree); }
  CgroupTree& cgroups() { return cgroups_; }

  // Starts every autostart process (daemon start): in priority order, each once its
  // dependencies are met (depends_on).
  void start_autostart();

  // Resolves SPEC.md targets (NAME, GROUP:*, GROUP:NAME, all) to processes in priority order,
  // each once. Any target that names nothing is a NO_SUCH_PROCESS error.
  Result<std::vector<Process*>> resolve(const std::vector<std::string>& targets) const {
    return targets_.resolve(targets);
  }
  // Every copy's current instance, in priority order.
  const std::vector<Process*>& processes() const { return targets_.ordered(); }

  // Client operations; `done` gets the per-process result when the action is complete. Starts
  // wait for dependencies (starting them first); stops take dependents down first. A restart
  // of a RUNNING process of a `restart = "rolling"` program rolls it (daemon/supervision/
  // roll.hpp); a stop or restart of a process being rolled interrupts its roll.
  void run_operation(Operation::Kind kind, std::vector<Process*> processes, Completion done);
  // What status shows of a process (a copy's current instance): with `previous` while its
  // rolling restart runs.
  ProcessInfo info(const Process& process) const;
  // Stops everything, dependents before their dependencies and otherwise in reverse priority
  // order, then calls done. Further operations are refused.
  void shutdown(std::function<void()> done);
  bool is_shutting_down() const { return shutting_down_; }

  // Reopens every program log file (SIGUSR2, logreopen); done gets the failures.
  void reopen_logs(std::function<void(std::vector<Error>)> done);
  // The output stream of a process (stdout or stderr), or an error naming why there is none.
  Result<OutputPump::StreamId> log_stream(const Process& process, bool stderr_stream) const;
  // The cgroup the instance runs in; empty when konnectd uses none (/metrics).
  std::filesystem::path cgroup_of(const Process& process) const;
  // The log file the process's stdout (stderr) goes to; empty when it is discarded.
  std::filesystem::path log_path(const Process& process, bool stderr_stream) const;
  OutputPump& pump() { return pump_; }
  // The children konnectd runs for itself beside the programs (exec probes, reexec's check),
  // their exits from the one reaper.
  ProbeChildren& probe_children() { return probe_children_; }
  // tail -f: on_data gets every chunk written to the stream, until it returns false. Call it
  // from the done of pump().tail_file(..., follow = id), which starts the following.
  // on_end runs instead if the stream goes away (a reload removed its program).
  void follow(OutputPump::StreamId id, std::function<bool(const std::string&)> on_data,
              std::function<void()> on_end);
  // Moves the output still in the pipes to the files (shutdown), then calls done.
  void drain_output(std::function<void()> done) { pump_.drain(std::move(done)); }

  // The reaper's callbacks: one exit, then (once per batch) the orphan sweep, which returns
  // how many leftover descendants it killed.
  void on_child_exit(pid_t pid, int wait_status);
  int sweep_orphans();

  // konnectctl reexec (supervisor_handoff.cpp). Why a reexec cannot happen now (a command,
  // a rolling restart or a reload under way would lose its second half), or nothing.
  std::optional<std::string> busy() const;
  // The old image: every program's instances, their pipes and notify sockets, the held
  // sockets and the ids, into `state` (the pump's streams come from pump().export_state).
  void snapshot(handoff::State& state) const;
  // The new image, built from the handed-over config: takes back every instance (nothing is
  // spawned, nothing announced), pipe, stream, notify and held socket, and re-arms the
  // checks each state calls for. Checked first as a whole: an error (a program or copy the
  // config does not have, a state that cannot be) means nothing was taken.
  Result<void> restore(const handoff::State& state);

  // Called once, when every autostart process has reached RUNNING or FATAL (readiness).
  void set_on_ready(std::function<void()> on_ready);
  // Takes part in every spawn (the event listener pools); must outlive the Supervisor's use.
  void set_spawn_hook(SpawnHook* hook) { spawn_hook_ = hook; }

  // Reload, update, add, remove: applies the plan (daemon/supervision/reload.hpp) and calls done with
  // the start results of the programs it made, or an error. One at a time: an error return
  // (shutting down, a reload running) means the plan was refused and done is not called.
  // From then on config() is plan.result.
  Result<void> apply(ReloadPlan plan, std::function<void(Result<ProcessResults>)> done);
  // The config the programs run from: the one given at construction or the last applied.
  const std::shared_ptr<const Config>& config() const { return config_; }
  bool is_reloading() const { return reload_ != nullptr; }
  // Something will start it without another command: a start or restart that has not
  // started it yet, or a reload under way (which may make its program anew).
  bool start_pending(const Process& process) const;

  // The steps Reload takes, each for programs by name:
  // every process instance of them, in priority order (a rolling restart's old ones too);
  std::vector<Process*> instances_of(const std::vector<std::string>& programs) const;
  // drops them (they must be down): their pending operations fail, their tail -f followers
  // end, their log streams are drained and closed; done runs after the pump let go of the files;
  void remove_programs(const std::vector<std::string>& programs, std::function<void()> done);
  // gives their processes the settings of config() (needs_restart must be false for each);
  void update_programs(const std::vector<std::string>& programs);
  // creates them from config() (log_dir too), not started; returns the new processes.
  std::vector<Process*> add_programs(const std::vector<std::string>& programs);
  // a changed program that config() makes rolling can be rolled instead of made anew: it
  // keeps its group, copies and output, and one of its copies is up;
  bool can_roll(const std::string& program) const;
  // rolls them onto the settings of config() (their RUNNING instances roll, the others that
  // are up restart with the new settings); done gets the results, at once when none is up.
  void roll_programs(const std::vector<std::string>& programs, Completion done);
  // the programs the reload left alone point into config() from now on, so the config before
  // it is freed (their settings are equal).
  void rebind_unchanged();

  // ProcessHost
  Result<Started> spawn(Process& process) override;
  int send_signal(pid_t pid, int signo) override;
  void on_state_change(Process& process, State from) override;
  Clock& clock() override { return clock_; }
  // What state changes and log rotations are published on, and the loop everything runs on.
  EventBus& events() { return events_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }

 private:
  void add_program(const std::string& name, const std::string& group, int group_priority);
  // The [program] of config(), sharing its ownership.
  std::shared_ptr<const ProgramConfig> program_config(const std::string& name) const;
  void add_instance(ProgramCopy& copy, Process& process);
  Program& program_of(const Process& process) const;
  Program& program_of_name(const std::string& name) const;
  // Rolling restarts (supervisor_roll.cpp): the Roll's Host, and how a restart is split.
  Process& begin_roll(Process& old);
  void end_roll(Process& old, Process& fresh, bool keep_new);
  void interrupt_rolls(const std::vector<Process*>& processes, Operation::Kind kind);
  void restart_rolling(std::vector<Process*> rolling, std::vector<Process*> rest, Completion done);
  // Every copy's previous instance (rolling restarts under way).
  std::vector<Process*> previous_instances() const;
  void rebuild_index();
  std::vector<ProcessDependency> dependencies_of(const Process& process) const {
    return dependencies_of(process, process.config());
  }
  // As `config` (the program's settings now, which a new instance gets) has them.
  std::vector<ProcessDependency> dependencies_of(const Process& process, const ProgramConfig& config) const;
  void watch_spawn_report(Process& process, std::uint64_t spawn_id, int fd);
  // MAINPID=pid from one of the instance's processes: checked, then followed.
  void follow_main(Process& process, pid_t pid);
  // A followed main that is not konnectd's child: its exit comes through its pidfd.
  void watch_main(pid_t pid);
  // The instance's main process is gone: its cgroup is emptied, then the Process told.
  void main_exited(Process& process, pid_t pid, std::optional<int> wait_status);
  void schedule_check();
  void check_operations();
  void check_ready();
  // Closes the held sockets of programs that are stopped, FATAL or gone.
  void release_sockets();
  OutputSink& output_of(const Process& process) const;
  // *_events_enabled: the process's streams go through the spawn hook's log_output (once
  // per stream, for as long as it lives).
  void tap_log_events(const Process& process);
  // The pipes the instance writes into (its copy's, or its own beside the running one during
  // a rolling restart).
  std::vector<std::pair<OutputPump::StreamId, OutputPump::SourceId>> output_sources(const Process& process) const;
  bool is_beside(const Process& process) const;
  Result<SpawnSpec> plan_probe(const Process& process, const std::vector<std::string>& argv) const;

  void on_log_error(OutputPump::StreamId id, const Error& error);
  void on_log_recovered(OutputPump::StreamId id);
  void on_log_rotated(OutputPump::StreamId id, std::uint64_t count);
  Process* process_of_stream(OutputPump::StreamId id) const;

  boost::asio::any_io_executor executor_;
  Clock& clock_;
  EventBus& events_;
  std::shared_ptr<const Config> config_;  // before programs_: their settings point into it
  std::filesystem::path log_dir_;
  OutputPump pump_;  // before programs_: the sinks that feed it go first
  StreamFollowers followers_{pump_};
  ProbeChildren probe_children_;
  InstanceChecks checks_;  // before programs_: it refers to their processes
  SpawnHook* spawn_hook_ = nullptr;
  std::set<OutputPump::StreamId> log_taps_;  // streams whose output goes to spawn_hook_
  std::vector<std::unique_ptr<Program>> programs_;
  ProcessTable table_;
  TargetIndex targets_;
  std::unordered_map<OutputPump::StreamId, Process*> by_stream_;
  std::vector<std::unique_ptr<Operation>> operations_;
  std::vector<std::unique_ptr<Roll>> rolls_;
  OrphanSweeper sweeper_;
  CgroupTree cgroups_;
  SocketHolder sockets_;
  bool check_posted_ = false;
  bool shutting_down_ = false;
  std::function<void()> on_ready_;
  bool ready_ = false;
  std::unique_ptr<class Reload> reload_;
};

}  // namespace konnect
