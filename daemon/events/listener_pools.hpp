#pragma once
// supervisord's event listeners (SPEC.md "Event listeners"): each [eventlistener.NAME] is a
// pool of listener processes (numprocs), supervised as programs are; this feeds them. Events
// come from the bus (PROCESS_STATE_*), from konnectd (SUPERVISOR_STATE_CHANGE_*,
// PROCESS_GROUP_*) and from tick timers (TICK_5/60/3600, armed only while a pool wants them:
// nothing wakes konnectd otherwise). Each pool keeps up to buffer_size events (the oldest is
// dropped, and logged, when one more comes) and hands the oldest to a listener that is
// RUNNING and has said READY; a rejected one (a result other than OK, a protocol error, an
// exit before the result) goes back to the head of the buffer. Everything runs on the loop;
// a listener's stdin and stdout are non-blocking pipes, one event in flight per listener.
// konnectd waits for a pipe to be ready and reads and writes it itself, so what it has read
// and written is known at every turn of the loop: a reexec hands pools and pipes over as
// they are (snapshot(), adopt()).

#include "common/config/config.hpp"
#include "common/handoff/handoff_state.hpp"
#include "common/listener/listener_protocol.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/spawn/spawn_hook.hpp"
#include "daemon/system/clock.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

class ListenerPools final : public SpawnHook {
 public:
  ListenerPools(boost::asio::any_io_executor executor, EventBus& bus, Clock& clock);
  ~ListenerPools() override;

  // The pools of config's listener programs; a pool whose program is gone is dropped with
  // its buffer. PROCESS_GROUP_ADDED and _REMOVED for the groups that came and went (at the
  // first call: every group, as supervisord announces them at start).
  void configure(const Config& config);
  // SUPERVISOR_STATE_CHANGE_RUNNING (konnectd is up) or _STOPPING (shutdown began).
  void supervisor_state(bool running);
  bool any() const { return !pools_.empty(); }
  // konnectd is done: the ticks stop, the pipes close (shutdown is cancellation).
  void stop();

  // reexec: the pools, their buffers, each listener's pipes (as fd numbers), reader and
  // event in flight, for the next image. Nothing changes here.
  handoff::Listeners snapshot() const;
  // In the next image, before anything is emitted: config's pools (as configure(), with no
  // PROCESS_GROUP_* for what was announced already) and what the previous image handed over.
  void adopt(const Config& config, const std::optional<handoff::Listeners>& state);

  Result<void> before_spawn(const ProgramConfig& program, const std::string& namespec, SpawnSpec& spec) override;
  void after_spawn(const std::string& namespec, bool started) override;
  void log_output(const std::string& process, const std::string& group, pid_t pid, bool stderr_channel,
                  const std::string& data) override;

 private:
  struct Pending {
    listener::EventType type;
    std::string payload;
    std::uint64_t serial = 0;
    std::uint64_t pool_serial = 0;
  };
  struct Listener;
  struct Pool {
    std::string name;
    ListenerConfig config;
    std::vector<listener::EventType> subscribed;
    std::deque<Pending> buffer;
    std::uint64_t next_pool_serial = 0;
    std::map<std::string, std::shared_ptr<Listener>> listeners;  // by namespec
  };

  void on_event(const Event& event);
  // Offers an event to every pool that subscribed to its type.
  void emit(listener::EventType type, const std::string& payload);
  void accept(Pool& pool, Pending event, bool at_head);
  void dispatch(Pool& pool);
  void start_reading(const std::shared_ptr<Listener>& l);
  void flush(const std::shared_ptr<Listener>& l);
  void on_output(const std::shared_ptr<Listener>& l, std::string_view bytes);
  void gone(const std::shared_ptr<Listener>& l, const std::string& why);
  void rebuffer(const std::shared_ptr<Listener>& l);
  Pool* pool_of_listener(const std::string& namespec);
  void arm_ticks();
  struct Tick;
  void arm_tick(Tick& tick);

  boost::asio::any_io_executor executor_;
  Clock& clock_;
  std::map<std::string, Pool> pools_;  // by program name
  std::map<std::string, std::string> pool_of_;  // listener namespec -> program name
  std::vector<std::string> groups_;             // what PROCESS_GROUP_* last said
  bool configured_ = false;
  std::uint64_t next_serial_ = 0;
  struct Tick {
    int period_s = 0;
    listener::EventType type;
    std::unique_ptr<Deadline> deadline;
    bool armed = false;
    std::int64_t last_slice = -1;  // the `when` of the last tick sent
  };
  std::vector<Tick> ticks_;
  EventBus::Subscription subscription_;
};

}  // namespace konnect
