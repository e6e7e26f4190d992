#include "daemon/control/event_commands.hpp"

#include "common/time_text.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/supervision/supervisor.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace konnect {

struct EventCommands::Follower {
  Json id;
  Responder reply;
  std::optional<std::set<std::string>> names;  // events: only these; nullopt: all
  bool is_wait = false;
  std::vector<std::string> targets;  // wait: the namespecs waited for
  std::vector<std::string> keys;     // and each as GROUP:NAME, which names exactly it
  std::set<std::string> reached;     // targets that went through a passing `state`
  State state = State::Running;
  std::int64_t timeout_ms = 0;
  EventBus::Subscription subscription;
  std::unique_ptr<Deadline> deadline;
  bool check_posted = false;
  bool done = false;
};

Json state_change_json(const Event& event, const StateChange& change) {
  return {{"seq", event.seq},
          {"time", utc_text(event.unix_ms)},
          {"name", change.name},
          {"group", change.group},
          {"from", std::string(to_string(change.from))},
          {"to", std::string(to_string(change.to))},
          {"pid", change.pid},
          {"reason", change.reason}};
}

EventCommands::EventCommands(Supervisor& supervisor) : supervisor_(supervisor), executor_(supervisor.executor()) {}

EventCommands::~EventCommands() = default;

void EventCommands::events(const Request& request, const std::vector<std::string>& targets, const Responder& reply) {
  auto f = std::make_unique<Follower>();
  f->id = request.id;
  if (!targets.empty()) {
    auto processes = supervisor_.resolve(targets);
    if (!processes) return reply(encode_error(request.id, processes.error()));
    f->names.emplace();
    for (const Process* p : *processes) f->names->insert(p->namespec());
  }
  if (!reply.stream(encode_ok(request.id, {{"more", true}}))) return;
  f->reply = reply;
  watch_client(add(std::move(f)));
}

void EventCommands::watch_client(std::uint64_t key) {
  followers_.at(key)->reply.on_gone([this, key, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) drop(key);
  });
}

void EventCommands::stop_all() {
  std::vector<std::uint64_t> keys;
  for (const auto& [key, f] : followers_) {
    if (!f->done) keys.push_back(key);
  }
  for (const auto key : keys) {
    Follower& f = *followers_.at(key);
    if (f.is_wait) {
      finish(key, encode_error(f.id, make_error(ErrorCode::ShuttingDown, "konnectd is shutting down")));
    } else {
      drop(key);
    }
  }
}

void EventCommands::wait(const Request& request, const std::vector<std::string>& targets, const Responder& reply) {
  const Json id = request.id;
  auto args = decode_wait_args(request.args);
  if (!args) return reply(encode_error(id, args.error()));
  if (targets.empty()) return reply(encode_error(id, make_error(ErrorCode::BadArguments, "wait needs \"targets\"")));
  auto processes = supervisor_.resolve(targets);
  if (!processes) return reply(encode_error(id, processes.error()));
  auto f = std::make_unique<Follower>();
  f->id = id;
  f->is_wait = true;
  f->state = args->state;
  f->timeout_ms = args->timeout_ms;
  for (const Process* p : *processes) {
    f->targets.push_back(p->namespec());
    f->keys.push_back(p->group() + ":" + p->name());
  }
  if (auto verdict = judge(*f)) {
    return reply(verdict->ok ? encode_ok(id, {{"processes", states_of(*f)}}) : encode_error(id, verdict->error));
  }
  if (f->timeout_ms == 0) {
    return reply(encode_error(id, make_error(ErrorCode::Timeout, "not " + std::string(to_string(f->state)) + " now")));
  }
  if (!reply.stream(encode_ok(id, {{"more", true}, {"waiting", states_of(*f)}}))) return;
  f->reply = reply;
  f->deadline = supervisor_.clock().make_deadline();
  Follower& added = *f;
  const std::uint64_t key = add(std::move(f));
  watch_client(key);
  added.deadline->arm(std::chrono::milliseconds(added.timeout_ms), [this, key] {
    auto it = followers_.find(key);
    if (it == followers_.end() || it->second->done) return;
    const Follower& f = *it->second;
    std::string late;
    for (std::size_t i = 0; i < f.targets.size(); ++i) {
      const Process* p = target(f, i);
      if (p == nullptr || p->state() == f.state) continue;
      late += (late.empty() ? "" : ", ") + f.targets[i] + " is " + std::string(to_string(p->state()));
    }
    finish(key, encode_error(f.id, make_error(ErrorCode::Timeout, "not " + std::string(to_string(f.state)) +
                                                                      " after " + std::to_string(f.timeout_ms) +
                                                                      " ms: " + late)));
  });
}

std::uint64_t EventCommands::add(std::unique_ptr<Follower> follower) {
  const std::uint64_t key = next_id_++;
  follower->subscription = supervisor_.events().subscribe([this, key](const Event& e) { on_event(key, e); });
  followers_.emplace(key, std::move(follower));
  return key;
}

void EventCommands::on_event(std::uint64_t key, const Event& event) {
  auto it = followers_.find(key);
  if (it == followers_.end() || it->second->done) return;
  Follower& f = *it->second;
  const auto* change = std::get_if<StateChange>(&event.body);
  if (change == nullptr) return;
  const bool mine = f.is_wait ? std::find(f.targets.begin(), f.targets.end(), change->name) != f.targets.end()
                              : !f.names || f.names->count(change->name) != 0;
  if (!mine) return;
  if (f.is_wait && change->to == f.state) f.reached.insert(change->name);
  if (!f.reply.stream(encode_ok(f.id, {{"event", state_change_json(event, *change)}, {"more", true}}))) {
    drop(key);  // the client is gone
    return;
  }
  if (f.is_wait) schedule_check(key);
}

void EventCommands::schedule_check(std::uint64_t key) {
  Follower& f = *followers_.at(key);
  if (f.check_posted) return;
  f.check_posted = true;
  // Once the chain of transitions is over (a STOPPED on the way to STARTING is no outcome);
  // a restart that is yet to start a STOPPED target says so itself (start_pending).
  boost::asio::post(executor_, [this, key, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) check(key);
  });
}

void EventCommands::check(std::uint64_t key) {
  auto it = followers_.find(key);
  if (it == followers_.end() || it->second->done) return;
  Follower& f = *it->second;
  f.check_posted = false;
  auto verdict = judge(f);
  if (!verdict) return;
  finish(key, verdict->ok ? encode_ok(f.id, {{"processes", states_of(f)}}) : encode_error(f.id, verdict->error));
}

std::optional<EventCommands::Verdict> EventCommands::judge(const Follower& f) const {
  // A state a process only passes through counts once it was seen; a lasting one must hold.
  const bool passing = f.state == State::Starting || f.state == State::Backoff || f.state == State::Stopping ||
                       f.state == State::Exited;
  bool all = true;
  for (std::size_t i = 0; i < f.targets.size(); ++i) {
    const std::string& name = f.targets[i];
    const Process* found = target(f, i);
    if (found == nullptr) return Verdict{false, make_error(ErrorCode::Failed, name + " was removed from the config")};
    const Process& p = *found;
    const State state = p.state();
    if (state == f.state || (passing && f.reached.count(name) != 0)) continue;
    all = false;
    if (state == State::Fatal) {
      const std::string why = p.info().spawnerr;
      return Verdict{false, make_error(ErrorCode::Failed, name + " is FATAL" + (why.empty() ? "" : ": " + why))};
    }
    if (f.state == State::Running && (state == State::Stopped || state == State::Exited) &&
        !supervisor_.start_pending(p)) {
      return Verdict{false, make_error(ErrorCode::Failed, name + " is " + std::string(to_string(state)) +
                                                              " and nothing will start it")};
    }
  }
  if (all) return Verdict{true, {}};
  return std::nullopt;
}

Json EventCommands::states_of(const Follower& f) const {
  Json list = Json::array();
  for (std::size_t i = 0; i < f.targets.size(); ++i) {
    if (const Process* p = target(f, i)) {
      list.push_back({{"name", f.targets[i]}, {"state", std::string(to_string(p->state()))}});
    }
  }
  return list;
}

const Process* EventCommands::target(const Follower& f, std::size_t i) const {
  auto found = supervisor_.resolve({f.keys[i]});
  return found && found->size() == 1 ? found->front() : nullptr;
}

void EventCommands::finish(std::uint64_t key, std::string answer) {
  auto it = followers_.find(key);
  if (it == followers_.end()) return;
  it->second->reply(std::move(answer));
  drop(key);
}

void EventCommands::drop(std::uint64_t key) {
  auto it = followers_.find(key);
  if (it == followers_.end() || it->second->done) return;
  Follower& f = *it->second;
  f.done = true;
  f.subscription.reset();
  if (f.deadline) f.deadline->cancel();
  // Erased from the loop: this may run inside the follower's own delivery or deadline.
  boost::asio::post(executor_, [this, key, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) followers_.erase(key);
  });
}

}  // namespace konnect
