// The Supervisor's side of rolling restarts (daemon/supervision/roll.hpp decides when): a
// copy gets a second instance, becomes its current one, and one of the two goes when the roll
// ends. Everything that refers to the one that goes (operations, output streams, checks, the
// process table) is handed to the one that stays before it is destroyed.

#include "daemon/supervision/supervisor.hpp"

#include "common/config/config_diff.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <map>
#include <tuple>

namespace konnect {

Program& Supervisor::program_of_name(const std::string& name) const {
  for (const auto& program : programs_) {
    if (program->name() == name) return *program;
  }
  assert(false && "every process belongs to a program");
  std::abort();
}

Program& Supervisor::program_of(const Process& process) const { return program_of_name(process.config().name); }

std::vector<Process*> Supervisor::previous_instances() const {
  std::vector<Process*> out;
  for (const auto& program : programs_) {
    for (const auto& copy : program->copies()) {
      if (copy.previous) out.push_back(copy.previous.get());
    }
  }
  return out;
}

ProcessInfo Supervisor::info(const Process& process) const {
  ProcessInfo info = process.info();
  const ProgramCopy& copy = *table_.place_of(process).copy;
  if (copy.previous && copy.current.get() == &process) {
    info.previous = ProcessInfo::Previous{copy.previous->pid(), copy.previous->state()};
  }
  return info;
}

// The new instance of a roll writes beside the old one, into pipes of its own.
std::vector<std::pair<OutputPump::StreamId, OutputPump::SourceId>> Supervisor::output_sources(
    const Process& process) const {
  return output_of(process).sources(is_beside(process));
}

bool Supervisor::is_beside(const Process& process) const {
  const ProgramCopy& copy = *table_.place_of(process).copy;
  return copy.previous != nullptr && copy.current.get() == &process;
}

Process& Supervisor::begin_roll(Process& old) {
  ProgramCopy& copy = *table_.place_of(old).copy;
  assert(copy.current.get() == &old && !copy.previous);
  const Program& program = program_of(old);
  copy.previous = std::move(copy.current);
  copy.current = std::make_unique<Process>(*this, program.config_ptr(), program.group(), copy.name,
                                           program.group_priority());
  copy.current->count_starts_from(*copy.previous);  // a rolling restart is one more restart
  add_instance(copy, *copy.current);
  rebuild_index();
  return *copy.current;
}

void Supervisor::end_roll(Process& old, Process& fresh, bool keep_new) {
  ProgramCopy& copy = *table_.place_of(fresh).copy;
  Process& gone = keep_new ? old : fresh;
  Process& kept = keep_new ? fresh : old;
  assert(is_down(gone.state()));
  for (auto& op : operations_) op->replace(&gone, &kept);
  for (auto& roll : rolls_) roll->replace(&gone, &kept);
  for (auto& [id, p] : by_stream_) {
    if (p == &gone) p = &kept;
  }
  checks_.forget(gone);
  table_.remove(gone);
  if (keep_new) {
    copy.output->keep_beside();
  } else {
    copy.output->drop_beside();
  }
  if (keep_new) {
    copy.previous.reset();
  } else {
    copy.current = std::move(copy.previous);  // destroys the new one
  }
  rebuild_index();
  schedule_check();  // its sockets, readiness and operations are judged on what stays
}

bool Supervisor::can_roll(const std::string& name) const {
  const Config& config = *config_;
  const ProgramConfig* next = config.find_program(name);
  if (next == nullptr || next->restart != RestartMode::Rolling) return false;
  const auto it = std::find_if(programs_.begin(), programs_.end(), [&](const auto& p) { return p->name() == name; });
  if (it == programs_.end()) return false;
  const Program& program = **it;
  const ProgramConfig& now = program.config();
  const auto same_copies_and_output = [](const ProgramConfig& a) {
    return std::tie(a.numprocs, a.numprocs_start, a.redirect_stderr, a.stdout_log, a.stderr_log);
  };
  if (same_copies_and_output(now) != same_copies_and_output(*next)) return false;
  if (program_groups(config).at(name).first != program.group()) return false;
  return std::any_of(program.copies().begin(), program.copies().end(),
                     [](const ProgramCopy& c) { return c.current->state() == State::Running; });
}

void Supervisor::roll_programs(const std::vector<std::string>& programs, Completion done) {
  const auto groups = program_groups(*config_);
  std::vector<Process*> rolling, rest;
  for (const std::string& name : programs) {
    auto next = program_config(name);
    Program& program = program_of_name(name);
    for (Process* p : program.adopt_config(next, groups.at(name).second)) {
      if (p->state() == State::Running) {
        rolling.push_back(p);
      } else {
        p->take_config(next, groups.at(name).second);  // stopped and started with them
        rest.push_back(p);
      }
    }
    for (auto& copy : program.copies()) checks_.reconfigure(*copy.current);
  }
  rebuild_index();
  targets_.sort(rolling);
  targets_.sort(rest);
  if (rolling.empty() && rest.empty()) return done({});
  if (rolling.empty()) return run_operation(Operation::Kind::Restart, std::move(rest), std::move(done));
  restart_rolling(std::move(rolling), std::move(rest), std::move(done));
}

void Supervisor::rebind_unchanged() {
  for (auto& program : programs_) {
    const ProgramConfig* next = config_->find_program(program->name());
    // Aliasing the Config the lookup found it in: no second lookup, no copy.
    if (next != nullptr && *next == program->config()) program->rebind({config_, next});
  }
}

void Supervisor::interrupt_rolls(const std::vector<Process*>& processes, Operation::Kind kind) {
  if (rolls_.empty()) return;
  const Error later = make_error(ErrorCode::Failed, kind == Operation::Kind::Stop ? "interrupted by a stop"
                                                                                  : "interrupted by a restart");
  for (auto& roll : rolls_) {
    for (const Process* p : processes) {
      if (roll->involves(p)) roll->interrupt(p, later);
    }
  }
  schedule_check();
}

void Supervisor::restart_rolling(std::vector<Process*> rolling, std::vector<Process*> rest, Completion done) {
  // The rolling ones roll while the others stop and start; the client gets one answer, in
  // the order it asked (priority order).
  struct Join {
    std::map<std::string, std::size_t> order;
    ProcessResults results;
    int parts = 0;
    Completion done;
  };
  auto join = std::make_shared<Join>();
  std::vector<Process*> all = rolling;
  all.insert(all.end(), rest.begin(), rest.end());
  targets_.sort(all);
  for (std::size_t i = 0; i < all.size(); ++i) join->order.emplace(all[i]->namespec(), i);
  join->parts = rest.empty() ? 1 : 2;
  join->done = std::move(done);
  auto part = [join](ProcessResults results) {
    for (auto& r : results) join->results.push_back(std::move(r));
    if (--join->parts > 0) return;
    std::stable_sort(join->results.begin(), join->results.end(), [&](const ProcessResult& a, const ProcessResult& b) {
      return join->order[a.name] < join->order[b.name];
    });
    join->done(std::move(join->results));
  };
  if (!rest.empty()) run_operation(Operation::Kind::Restart, std::move(rest), part);
  // A new instance gets the program's settings as they are now (a reload's), dependencies
  // included; what another command (this one's stop-start part) restarts is waited for.
  DependencyLookup dependencies{
      [this](const Process& p) { return dependencies_of(p, program_of(p).config()); },
      [this](std::vector<Process*>& list) { targets_.sort(list); },
      [this](const Process& p) {
        return std::any_of(operations_.begin(), operations_.end(), [&](const auto& op) { return op->will_start(&p); });
      }};
  Roll::Host host{[this](Process& old) -> Process& { return begin_roll(old); },
                  [this](Process& old, Process& fresh, bool keep_new) { end_roll(old, fresh, keep_new); },
                  std::move(dependencies)};
  auto roll = std::make_unique<Roll>(std::move(host), std::move(rolling), part);
  if (roll->begin()) return;
  rolls_.push_back(std::move(roll));
}

}  // namespace konnect
