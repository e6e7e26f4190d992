#include "daemon/supervision/operation.hpp"

#include "common/error.hpp"
#include "daemon/supervision/process.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace konnect {

Operation::Operation(Kind kind, std::vector<Process*> processes, Completion done, DependencyLookup lookup)
    : kind_(kind), processes_(std::move(processes)), done_(std::move(done)), lookup_(std::move(lookup)) {
  if (kind_ == Kind::Start || !lookup_.of) return;
  const std::set<const Process*> in(processes_.begin(), processes_.end());
  for (Process* p : processes_) {
    for (const auto& d : lookup_.of(*p)) {
      if (d.process != p && in.count(d.process)) dependents_[d.process].push_back(p);
    }
  }
}

bool Operation::begin() {
  if (kind_ == Kind::Start) {
    begin_start();
  } else {
    begin_stop_wave();
  }
  return check();
}

// The next wave: of the processes not yet down whose dependents (in this operation) are all
// down, those of the highest priority level. Stops them; false when there are none left.
bool Operation::begin_stop_wave() {
  auto key = [](const Process* p) { return std::make_pair(p->group_priority(), p->config().priority); };
  std::vector<Process*> free;
  for (Process* p : processes_) {
    if (outcomes_[p].done) continue;
    const auto& dependents = dependents_[p];
    if (std::all_of(dependents.begin(), dependents.end(), [&](const Process* d) { return outcomes_[d].done; })) {
      free.push_back(p);
    }
  }
  wave_.clear();
  if (free.empty()) return false;
  const auto top = key(*std::max_element(free.begin(), free.end(),
                                         [&](const Process* a, const Process* b) { return key(a) < key(b); }));
  for (Process* p : free) {
    if (key(p) == top) wave_.push_back(p);
  }
  for (Process* p : wave_) p->stop();
  return true;
}

void Operation::begin_start() {
  starting_ = true;
  outcomes_.clear();
  gate_.emplace(processes_, lookup_);
  gate_->advance();
}

bool Operation::check() {
  if (completed_) return true;
  if (!starting_) {
    if (!check_stopping()) return false;
    if (kind_ == Kind::Stop) return finish();
    begin_start();
  }
  if (!check_starting()) return false;
  return finish();
}

bool Operation::will_start(const Process* process) const {
  if (completed_ || !involves(process)) return false;
  if (!starting_) return kind_ == Kind::Restart;
  return gate_ && gate_->waiting(process);
}

// True once every wave is down. Another client's restart may start a process of the current
// wave again before this operation looks: then it is stopped again (the later command wins)
// rather than waited for forever.
bool Operation::check_stopping() {
  for (;;) {
    bool wave_down = true;
    for (Process* p : wave_) {
      Outcome& o = outcomes_[p];
      if (!o.done && is_down(p->state())) o = Outcome{true, true, {}};
      if (!o.done && p->state() != State::Stopping) p->stop();
      wave_down = wave_down && o.done;
    }
    if (!wave_down) return false;
    if (!begin_stop_wave()) return true;
  }
}

// True once every process has reached RUNNING or failed on the way (or will not be started:
// a dependency failed).
bool Operation::check_starting() {
  gate_->advance();
  bool all_done = true;
  for (Process* p : processes_) {
    Outcome& o = outcomes_[p];
    if (o.done) continue;
    if (const std::string* why = gate_->failure(p)) {
      o = Outcome{true, false, "not started: " + *why, true};
      spdlog::warn("{}: {}", p->namespec(), o.error);
      p->settle_unstarted();
      continue;
    }
    if (gate_->waiting(p)) {
      all_done = false;
      continue;
    }
    switch (p->state()) {
      case State::Running:
        o = Outcome{true, true, {}};
        break;
      case State::Backoff:
      case State::Fatal:
        o = Outcome{true, false, p->info().spawnerr};
        break;
      case State::Exited:
        // It was RUNNING (only RUNNING exits to EXITED); a one-shot that is done is a success.
        o = p->last_exit_expected() ? Outcome{true, true, {}}
                                    : Outcome{true, false, "exited (" + p->last_exit() + ") right after it was running"};
        break;
      case State::Stopped:
        o = Outcome{true, false, "stopped before it was running"};
        break;
      case State::Starting:
      case State::Stopping:
        all_done = false;
        break;
    }
  }
  return all_done;
}

void Operation::drop(const Process* process, const Error& error) {
  if (completed_) return;
  if (gate_) gate_->drop(process, error.message);  // it may be a dependency only
  if (!involves(process)) return;
  dropped_.push_back({process->namespec(), process->state(), make_error(ErrorCode::Failed, error.message)});
  std::erase(processes_, process);
  std::erase(wave_, process);
  dependents_.erase(process);
  for (auto& [_, dependents] : dependents_) std::erase(dependents, process);
  outcomes_.erase(process);
}

void Operation::replace(const Process* gone, Process* by) {
  if (completed_) return;
  if (gate_) gate_->replace(gone, by);
  const bool had_by = involves(by);
  auto swap_in = [&](std::vector<Process*>& list) {
    if (had_by) {
      std::erase(list, gone);
    } else {
      std::replace(list.begin(), list.end(), const_cast<Process*>(gone), by);
    }
  };
  swap_in(processes_);
  swap_in(wave_);
  for (auto& [_, dependents] : dependents_) swap_in(dependents);
  auto rekey = [&](auto& map) {
    auto node = map.extract(gone);
    if (node.empty() || had_by) return;
    node.key() = by;
    map.insert(std::move(node));
  };
  rekey(dependents_);
  rekey(outcomes_);
}

void Operation::abort(const Error& error) {
  if (completed_) return;
  for (Process* p : processes_) {
    Outcome& o = outcomes_[p];
    if (!o.done) o = Outcome{true, false, error.message};
  }
  abort_code_ = error.code;
  finish();
}

bool Operation::finish() {
  completed_ = true;
  ProcessResults results;
  for (Process* p : processes_) {
    const Outcome& o = outcomes_[p];
    ProcessResult r{p->namespec(), p->state(), std::nullopt};
    if (!o.ok) {
      const ErrorCode code = abort_code_               ? *abort_code_
                             : kind_ == Kind::Stop || o.not_started ? ErrorCode::Failed
                                                                    : ErrorCode::SpawnError;
      r.error = make_error(code, o.error);
    }
    results.push_back(std::move(r));
  }
  for (auto& r : dropped_) results.push_back(std::move(r));
  if (done_) done_(std::move(results));
  return true;
}

}  // namespace konnect
