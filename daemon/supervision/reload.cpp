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
  old_.insert(old_.end(), plan_.restarted.begin(), plan_.restarted.end());
}

void Reload::then(void (Reload::*step)()) {
  boost::asio::post(executor_, [this, step] { (this->*step)(); });
}

void Reload::begin() {
  spdlog::info("Reload: add {}; restart {}; update in place {}; remove {}", joined(plan_.added),
               joined(plan_.restarted), joined(plan_.updated), joined(plan_.removed));
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
  supervisor_.update_programs(plan_.result, plan_.updated);
  std::vector<std::string> fresh = plan_.added;
  fresh.insert(fresh.end(), plan_.restarted.begin(), plan_.restarted.end());
  std::vector<Process*> made = supervisor_.add_programs(plan_.result, fresh);
  std::erase_if(made, [](const Process* p) { return !p->config().autostart; });
  if (made.empty()) return on_started({});
  supervisor_.run_operation(Operation::Kind::Start, std::move(made), [this](ProcessResults results) {
    boost::asio::post(executor_, [this, results = std::move(results)]() mutable { on_started(std::move(results)); });
  });
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
