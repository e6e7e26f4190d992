#include "daemon/supervision/operation.hpp"

#include "common/error.hpp"
#include "daemon/supervision/process.hpp"

#include <algorithm>

namespace konnect {

Operation::Operation(Kind kind, std::vector<Process*> processes, Completion done)
    : kind_(kind), processes_(std::move(processes)), done_(std::move(done)) {
  // Stop levels: walk the priority-ordered list backwards, one level per (group priority,
  // priority) value, the same key that orders the list.
  auto key = [](const Process* p) { return std::make_pair(p->group_priority(), p->config().priority); };
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) {
    if (levels_.empty() || key(levels_.back().front()) != key(*it)) levels_.emplace_back();
    levels_.back().push_back(*it);
  }
}

bool Operation::begin() {
  if (kind_ == Kind::Start) {
    begin_start();
  } else {
    begin_stop_level();
  }
  return check();
}

void Operation::begin_stop_level() {
  if (level_ < levels_.size()) {
    for (Process* p : levels_[level_]) p->stop();
  }
}

void Operation::begin_start() {
  starting_ = true;
  outcomes_.clear();
  for (Process* p : processes_) p->start();
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

// True once every level is down. Another client's restart may start a process of the
// current level again before this operation looks: then it is stopped again (the later
// command wins) rather than waited for forever.
bool Operation::check_stopping() {
  while (level_ < levels_.size()) {
    bool level_down = true;
    for (Process* p : levels_[level_]) {
      Outcome& o = outcomes_[p];
      if (!o.done && is_down(p->state())) o = Outcome{true, true, {}};
      if (!o.done && p->state() != State::Stopping) p->stop();
      level_down = level_down && o.done;
    }
    if (!level_down) return false;
    ++level_;
    begin_stop_level();
  }
  return true;
}

// True once every process has reached RUNNING or failed on the way.
bool Operation::check_starting() {
  bool all_done = true;
  for (Process* p : processes_) {
    Outcome& o = outcomes_[p];
    if (o.done) continue;
    switch (p->state()) {
      case State::Running:
        o = Outcome{true, true, {}};
        break;
      case State::Backoff:
      case State::Fatal:
        o = Outcome{true, false, p->info().spawnerr};
        break;
      case State::Exited:
        o = Outcome{true, false, "exited before it was running"};
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
  if (completed_ || !involves(process)) return;
  dropped_.push_back({process->namespec(), process->state(), make_error(ErrorCode::Failed, error.message)});
  std::erase(processes_, process);
  for (auto& level : levels_) std::erase(level, process);
  outcomes_.erase(process);
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
      const ErrorCode code = abort_code_ ? *abort_code_ : kind_ == Kind::Stop ? ErrorCode::Failed : ErrorCode::SpawnError;
      r.error = make_error(code, o.error);
    }
    results.push_back(std::move(r));
  }
  for (auto& r : dropped_) results.push_back(std::move(r));
  if (done_) done_(std::move(results));
  return true;
}

}  // namespace konnect
