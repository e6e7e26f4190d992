#include "daemon/supervision/roll.hpp"

#include "daemon/supervision/process.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace konnect {

Roll::Roll(Host host, std::vector<Process*> processes, Completion done)
    : host_(std::move(host)), queue_(std::move(processes)), done_(std::move(done)) {
  std::reverse(queue_.begin(), queue_.end());  // taken from the back, in priority order
}

bool Roll::begin() { return check(); }

void Roll::next() {
  failure_.clear();
  old_ = queue_.back();
  queue_.pop_back();
  phase_ = Phase::Waiting;
  gate_.emplace(std::vector<Process*>{old_}, host_.dependencies, false);
}

void Roll::start_fresh() {
  gate_.reset();
  fresh_ = &host_.begin(*old_);
  phase_ = Phase::Starting;
  spdlog::info("{}: rolling restart: starting a new instance beside pid {}", old_->namespec(), old_->pid());
  fresh_->start();
}

bool Roll::check() {
  if (completed_) return true;
  for (;;) {
    if (old_ == nullptr) {
      if (queue_.empty()) break;
      next();
    }
    switch (phase_) {
      case Phase::Waiting:
        gate_->advance();
        if (const std::string* why = gate_->failure(old_)) {
          spdlog::warn("{}: rolling restart: not started: {}; pid {} keeps running", old_->namespec(), *why,
                       old_->pid());
          results_.push_back({old_->namespec(), old_->state(),
                              make_error(ErrorCode::Failed, "not restarted: " + *why + "; pid " +
                                                                std::to_string(old_->pid()) + " keeps running")});
          fail_rest("not restarted: the rolling restart of " + old_->namespec() + " failed");
          gate_.reset();
          old_ = nullptr;
          continue;
        }
        if (gate_->waiting(old_)) return false;
        start_fresh();
        continue;
      case Phase::Starting:
        switch (fresh_->state()) {
          case State::Starting:
          case State::Stopping:
            return false;
          case State::Running:
            phase_ = Phase::StoppingOld;
            old_->stop("rolling restart: the new instance (pid " + std::to_string(fresh_->pid()) +
                       ") is running");
            continue;
          case State::Backoff:
          case State::Fatal:
            failure_ = fresh_->info().spawnerr;
            break;
          case State::Exited:
            failure_ = "exited (" + fresh_->last_exit() + ") right after it was running";
            break;
          case State::Stopped:
            failure_ = "stopped before it was running";
            break;
        }
        spdlog::warn("{}: rolling restart: the new instance failed ({}); pid {} keeps running", old_->namespec(),
                     failure_, old_->pid());
        phase_ = Phase::StoppingNew;
        fresh_->stop();
        continue;
      case Phase::StoppingOld:
      case Phase::Interrupted:  // a later command has the new instance; its result is given
        if (!is_down(old_->state())) {
          if (old_->state() != State::Stopping) old_->stop();  // a client started it again
          return false;
        }
        host_.end(*old_, *fresh_, true);
        if (phase_ == Phase::StoppingOld) results_.push_back({fresh_->namespec(), fresh_->state(), std::nullopt});
        old_ = fresh_ = nullptr;
        continue;
      case Phase::StoppingNew:
        if (!is_down(fresh_->state())) {
          if (fresh_->state() != State::Stopping) fresh_->stop();
          return false;
        }
        host_.end(*old_, *fresh_, false);
        results_.push_back({old_->namespec(), old_->state(),
                            make_error(ErrorCode::SpawnError, "the new instance did not get ready: " + failure_ +
                                                                  "; the old instance (pid " +
                                                                  std::to_string(old_->pid()) + ") keeps running")});
        fail_rest("not restarted: the rolling restart of " + old_->namespec() + " failed");
        old_ = fresh_ = nullptr;
        continue;
    }
  }
  return finish();
}

void Roll::fail_rest(const std::string& why) {
  while (!queue_.empty()) {
    Process* p = queue_.back();
    queue_.pop_back();
    results_.push_back({p->namespec(), p->state(), make_error(ErrorCode::Failed, why)});
  }
}

bool Roll::involves(const Process* process) const {
  if (completed_) return false;
  if (process == fresh_ && phase_ != Phase::Interrupted) return true;
  if (process == old_ && phase_ == Phase::Waiting) return true;
  return std::find(queue_.begin(), queue_.end(), process) != queue_.end();
}

void Roll::interrupt(const Process* process, const Error& error) {
  if (completed_) return;
  if (auto it = std::find(queue_.begin(), queue_.end(), process); it != queue_.end()) {
    results_.push_back({(*it)->namespec(), (*it)->state(), error});
    queue_.erase(it);
    return;
  }
  if (process == old_ && phase_ == Phase::Waiting) {  // no new instance yet: nothing to stop
    results_.push_back({old_->namespec(), old_->state(), error});
    gate_.reset();
    old_ = nullptr;
    return;
  }
  if (process != fresh_ || phase_ == Phase::Interrupted) return;
  results_.push_back({fresh_->namespec(), fresh_->state(), error});
  phase_ = Phase::Interrupted;
  old_->stop("rolling restart interrupted: " + error.message);
}

void Roll::drop(const Process* process, const Error& error) {
  if (completed_) return;
  if (process == old_ || process == fresh_) {
    if (phase_ != Phase::Interrupted) results_.push_back({old_->namespec(), std::nullopt, error});
    old_ = fresh_ = nullptr;  // check() goes on with the next one
    gate_.reset();
    return;
  }
  if (gate_) gate_->drop(process, error.message);  // it may be a dependency only
  if (auto it = std::find(queue_.begin(), queue_.end(), process); it != queue_.end()) {
    results_.push_back({(*it)->namespec(), std::nullopt, error});
    queue_.erase(it);
  }
}

void Roll::abort(const Error& error) {
  if (completed_) return;
  if (old_ != nullptr && phase_ != Phase::Interrupted) results_.push_back({old_->namespec(), old_->state(), error});
  old_ = fresh_ = nullptr;
  gate_.reset();
  fail_rest(error.message);
  finish();
}

void Roll::replace(const Process* gone, Process* by) {
  if (gate_) gate_->replace(gone, by);
}

bool Roll::finish() {
  completed_ = true;
  if (done_) done_(std::move(results_));
  return true;
}

}  // namespace konnect
