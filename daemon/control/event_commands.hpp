#pragma once
// The requests that follow the event bus (docs/protocol.md "events" and "wait"):
//   events [TARGET...]  every state change of the targets (all when none), one streamed
//                       answer each, until the client goes;
//   wait TARGET...      answers once every target is in the state asked for (RUNNING by
//                       default), or fails: TIMEOUT when the time runs out, FAILED when a
//                       target reaches FATAL (unless FATAL is what is asked), stops for good
//                       while RUNNING is asked (STOPPED, or EXITED with nothing to restart
//                       it), or is removed by a reload. Meanwhile each state change of a
//                       target is streamed, as events does.
// A follower is dropped when its client is gone (the connection tells, Responder::on_gone),
// when it is done, and at shutdown (stop_all). Nothing polls: a wait is looked at after the
// state changes of its targets and when its one deadline fires. A target counts as there
// when it is in the state now or, for the passing states (STARTING, BACKOFF, STOPPING,
// EXITED), when it went through it since the wait began.
//
// Owns: the followers (a bus subscription and, for wait, a deadline each). Expects: the
// Supervisor, its bus and clock outlive it; everything runs on the loop.

#include "common/protocol/protocol.hpp"
#include "common/protocol/requests.hpp"
#include "daemon/events/event_bus.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace konnect {

class Process;
class Responder;
class Supervisor;

class EventCommands {
 public:
  explicit EventCommands(Supervisor& supervisor);
  ~EventCommands();
  EventCommands(const EventCommands&) = delete;
  EventCommands& operator=(const EventCommands&) = delete;

  void events(const Request& request, const std::vector<std::string>& targets, const Responder& reply);
  void wait(const Request& request, const std::vector<std::string>& targets, const Responder& reply);

  // konnectd is going: every follower ends (a wait with SHUTTING_DOWN), no deadline is left.
  void stop_all();

  std::size_t followers() const { return followers_.size(); }

 private:
  struct Follower;
  // Where a wait stands now: done (ok), failed (why), or still waiting (nullopt).
  struct Verdict {
    bool ok = false;
    Error error;
  };

  std::uint64_t add(std::unique_ptr<Follower> follower);
  void watch_client(std::uint64_t key);
  void on_event(std::uint64_t id, const Event& event);
  void schedule_check(std::uint64_t id);
  void check(std::uint64_t id);
  std::optional<Verdict> judge(const Follower& f) const;
  Json states_of(const Follower& f) const;
  // Target i of a wait as it is now; null once a reload removed it.
  const Process* target(const Follower& f, std::size_t i) const;
  void finish(std::uint64_t id, std::string answer);
  void drop(std::uint64_t id);

  Supervisor& supervisor_;
  boost::asio::any_io_executor executor_;
  std::map<std::uint64_t, std::unique_ptr<Follower>> followers_;
  std::uint64_t next_id_ = 1;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // for handlers posted to the loop
};

// One StateChange as its streamed answer carries it: {"seq", "time" (RFC 3339 UTC), "name",
// "group", "from", "to", "pid", "reason"}.
Json state_change_json(const Event& event, const StateChange& change);

}  // namespace konnect
