#include "daemon/supervision/reload.hpp"

#include "daemon/supervision/supervisor.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace konnect {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "-" : out;
}

}  // namespace

Reload::Reload(Supervisor& supervisor, boost::asio::any_io_executor executor, ReloadPlan plan, Done done)
    : supervisor_(supervisor), executor_(std::move(executor)), plan_(std::move(plan)), done_(std::move(done)) {
  old_ = plan_.removed;
  for (const auto& name : plan_.restarted) {
    (supervisor_.can_roll(name) ? rolled_ : old_).push_back(name);
  }
}

void Reload::then(void (Reload::*step)()) {
  boost::asio::post(executor_, [this, step] { (this->*step)(); });
}

void Reload::begin() {
  spdlog::info("Reload: add {}; restart {}; roll {}; update in place {}; remove {}", joined(plan_.added),
               joined(std::vector<std::string>(old_.begin() + static_cast<std::ptrdiff_t>(plan_.removed.size()),
                                               old_.end())),
               joined(rolled_), joined(plan_.updated), joined(plan_.removed));
  then(&Reload::stop_old);
}

void Reload::stop_old() {
  if (supervisor_.is_shutting_down()) return finish(make_error(ErrorCode::ShuttingDown, "konnectd is shutting down"));
  std::vector<Process*> old = supervisor_.instances_of(old_);
  if (std::all_of(old.begin(), old.end(), [](const Process* p) { return is_down(p->state()); })) {
    return then(&Reload::on_stopped);
  }
  supervisor_.run_operation(Operation::Kind::Stop, std::move(old), [this](ProcessResults) { then(&Reload::stop_old); });
}

void Reload::on_stopped() {
  if (supervisor_.is_shutting_down()) return finish(make_error(ErrorCode::ShuttingDown, "konnectd is shutting down"));
  // A client may have started one again between the stop and now: stop again.
  for (const Process* p : supervisor_.instances_of(old_)) {
    if (!is_down(p->state())) return stop_old();
  }
  supervisor_.remove_programs(old_, [this] { then(&Reload::on_dropped); });
}

void Reload::on_dropped() {
  if (supervisor_.is_shutting_down()) return finish(make_error(ErrorCode::ShuttingDown, "konnectd is shutting down"));
  supervisor_.update_programs(plan_.updated);
  std::vector<std::string> fresh = plan_.added;
  for (const auto& name : plan_.restarted) {
    if (std::find(rolled_.begin(), rolled_.end(), name) == rolled_.end()) fresh.push_back(name);
  }
  std::vector<Process*> made = supervisor_.add_programs(fresh);
  std::erase_if(made, [](const Process* p) { return !p->config().autostart; });
  // The starts and the rolls at once; one answer when both are done.
  parts_ = 2;
  auto part = [this](ProcessResults results) {
    for (auto& r : results) results_.push_back(std::move(r));
    if (--parts_ > 0) return;
    boost::asio::post(executor_, [this] { on_started(std::move(results_)); });
  };
  if (made.empty()) {
    part({});
  } else {
    supervisor_.run_operation(Operation::Kind::Start, std::move(made), part);
  }
  if (rolled_.empty()) {
    part({});
  } else {
    supervisor_.roll_programs(rolled_, part);
  }
}

void Reload::on_started(ProcessResults results) {
  spdlog::info("Reload done");
  finish(std::move(results));
}

void Reload::finish(Result<ProcessResults> result) {
  if (!result) spdlog::warn("Reload ended early: {}", result.error().message);
  auto done = std::move(done_);
  done(std::move(result));  // may destroy this (the Supervisor owns it): nothing after
}

}  // namespace konnect
