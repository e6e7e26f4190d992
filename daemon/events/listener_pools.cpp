#include "daemon/events/listener_pools.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace konnect {

// One listener process: konnectd's ends of its stdin and stdout, what it said so far, and
// the event it has (BUSY).
struct ListenerPools::Listener {
  Listener(const boost::asio::any_io_executor& ex, std::string namespec) : in(ex), out(ex), namespec(std::move(namespec)) {}
  boost::asio::posix::stream_descriptor in;   // its stdin: events go here
  boost::asio::posix::stream_descriptor out;  // its stdout: READY, RESULT
  std::string namespec;
  listener::Reader reader;
  std::optional<Pending> current;
  bool running = false;  // in the RUNNING state: only then does it get events
  bool closed = false;
  int child_stdin = -1;   // the child's ends, until the spawn is done
  int child_stdout = -1;
  std::array<char, 4096> buffer{};
};

namespace {

// supervisord's process groups: every [group], and every program in none (listeners too),
// in supervisord's order: by priority, then by name.
std::vector<std::string> group_names(const Config& config) {
  std::set<std::string> grouped;
  std::vector<std::pair<int, std::string>> by_priority;
  for (const GroupConfig& g : config.groups) {
    by_priority.emplace_back(g.priority, g.name);
    grouped.insert(g.programs.begin(), g.programs.end());
  }
  for (const ProgramConfig& p : config.programs) {
    if (!grouped.count(p.name)) by_priority.emplace_back(p.priority, p.name);
  }
  std::sort(by_priority.begin(), by_priority.end());
  std::vector<std::string> out;
  for (auto& [priority, name] : by_priority) out.push_back(std::move(name));
  return out;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

ListenerPools::ListenerPools(boost::asio::any_io_executor executor, EventBus& bus, Clock& clock)
    : executor_(std::move(executor)), clock_(clock) {
  subscription_ = bus.subscribe([this](const Event& e) { on_event(e); });
  ticks_.push_back(Tick{5, listener::EventType::Tick5, clock_.make_deadline()});
  ticks_.push_back(Tick{60, listener::EventType::Tick60, clock_.make_deadline()});
  ticks_.push_back(Tick{3600, listener::EventType::Tick3600, clock_.make_deadline()});
}

ListenerPools::~ListenerPools() { stop(); }

void ListenerPools::stop() {
  for (Tick& tick : ticks_) {
    tick.deadline->cancel();
    tick.armed = false;
  }
  for (auto& [name, pool] : pools_) {
    for (auto& [spec, l] : pool.listeners) {
      l->closed = true;
      close_fd(l->child_stdin);
      close_fd(l->child_stdout);
      boost::system::error_code ec;
      l->in.close(ec);
      l->out.close(ec);
    }
    pool.listeners.clear();
  }
  subscription_.reset();
}

void ListenerPools::configure(const Config& config) {
  std::map<std::string, Pool> next;
  for (const ProgramConfig& p : config.programs) {
    if (!p.listener) continue;
    auto it = pools_.find(p.name);
    Pool pool = it != pools_.end() ? std::move(it->second) : Pool{};
    pool.name = p.name;
    pool.config = *p.listener;
    pool.subscribed.clear();
    for (const auto& e : p.listener->events) {
      if (auto t = listener::event_type(e)) pool.subscribed.push_back(*t);
    }
    while (pool.buffer.size() > static_cast<std::size_t>(pool.config.buffer_size)) pool.buffer.pop_front();
    next.emplace(p.name, std::move(pool));
  }
  pools_ = std::move(next);
  arm_ticks();
  // PROCESS_GROUP_* for what came and went (everything, the first time).
  const std::vector<std::string> groups = group_names(config);
  for (const auto& g : groups_) {
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) {
      emit(listener::EventType::ProcessGroupRemoved, listener::group_payload(g));
    }
  }
  for (const auto& g : groups) {
    if (!configured_ || std::find(groups_.begin(), groups_.end(), g) == groups_.end()) {
      emit(listener::EventType::ProcessGroupAdded, listener::group_payload(g));
    }
  }
  groups_ = groups;
  configured_ = true;
}

void ListenerPools::supervisor_state(bool running) {
  emit(running ? listener::EventType::SupervisorStateChangeRunning : listener::EventType::SupervisorStateChangeStopping,
       "");
}

// --- events in ---------------------------------------------------------------------------

void ListenerPools::on_event(const Event& event) {
  const auto* change = std::get_if<StateChange>(&event.body);
  if (!change) return;
  if (Pool* pool = pool_of_listener(change->name)) {
    if (auto it = pool->listeners.find(change->name); it != pool->listeners.end()) {
      it->second->running = change->to == State::Running;
    }
  }
  emit(listener::process_state_event(change->to),
       listener::process_state_payload(change->process, change->group, change->from, change->to, change->pid,
                                       change->tries, change->expected));
  // A listener that just became RUNNING may have said READY already.
  for (auto& [name, pool] : pools_) dispatch(pool);
}

void ListenerPools::emit(listener::EventType type, const std::string& payload) {
  std::optional<std::uint64_t> serial;
  for (auto& [name, pool] : pools_) {
    const bool wanted = std::any_of(pool.subscribed.begin(), pool.subscribed.end(),
                                    [type](listener::EventType s) { return listener::names(s, type); });
    if (!wanted) continue;
    if (!serial) serial = next_serial_++;  // supervisord numbers the events someone takes
    accept(pool, Pending{type, payload, *serial, pool.next_pool_serial++}, false);
    dispatch(pool);
  }
}

void ListenerPools::accept(Pool& pool, Pending event, bool at_head) {
  // As supervisord: a full buffer drops its oldest (buffer_size = 0 still keeps the newest).
  if (pool.buffer.size() >= static_cast<std::size_t>(pool.config.buffer_size) && !pool.buffer.empty()) {
    spdlog::error("{}: event buffer overflowed, discarding event {} ({})", pool.name, pool.buffer.front().serial,
                  listener::event_name(pool.buffer.front().type));
    pool.buffer.pop_front();
  }
  if (at_head) {
    pool.buffer.push_front(std::move(event));
  } else {
    pool.buffer.push_back(std::move(event));
  }
}

void ListenerPools::dispatch(Pool& pool) {
  while (!pool.buffer.empty()) {
    std::shared_ptr<Listener> ready;
    for (auto& [spec, l] : pool.listeners) {
      if (l->running && !l->closed && l->reader.state() == listener::Reader::State::Ready) {
        ready = l;
        break;
      }
    }
    if (!ready) return;
    Pending event = std::move(pool.buffer.front());
    pool.buffer.pop_front();
    auto text = std::make_shared<std::string>(
        listener::envelope(event.serial, pool.name, event.pool_serial, event.type, event.payload));
    ready->reader.sent();
    spdlog::debug("{}: event {} ({}) sent", ready->namespec, event.serial, listener::event_name(event.type));
    ready->current = std::move(event);
    boost::asio::async_write(ready->in, boost::asio::buffer(*text),
                             [this, ready, text](const boost::system::error_code& ec, std::size_t) {
                               if (ec && !ready->closed) gone(ready, "cannot write to its stdin: " + ec.message());
                             });
  }
}

// --- listeners ---------------------------------------------------------------------------

ListenerPools::Pool* ListenerPools::pool_of_listener(const std::string& namespec) {
  const auto it = pool_of_.find(namespec);
  if (it == pool_of_.end()) return nullptr;
  const auto p = pools_.find(it->second);
  return p == pools_.end() ? nullptr : &p->second;
}

Result<void> ListenerPools::before_spawn(const ProgramConfig& program, const std::string& namespec, SpawnSpec& spec) {
  if (!program.listener) return {};
  auto pool = pools_.find(program.name);
  if (pool == pools_.end()) return make_error(ErrorCode::Failed, "no event listener pool for " + program.name);
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return make_error(ErrorCode::Io, std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return make_error(ErrorCode::Io, std::string("pipe: ") + std::strerror(errno));
  }
  ::fcntl(in[1], F_SETFL, O_NONBLOCK);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  auto l = std::make_shared<Listener>(executor_, namespec);
  l->in.assign(in[1]);
  l->out.assign(out[0]);
  l->child_stdin = in[0];
  l->child_stdout = out[1];
  spec.stdin_fd = in[0];
  spec.stdout_fd = out[1];
  // A new instance replaces the one before (gone by now, or going: it gets no more events).
  if (auto old = pool->second.listeners.find(namespec); old != pool->second.listeners.end()) {
    rebuffer(old->second);
    old->second->closed = true;
    boost::system::error_code ec;
    old->second->in.close(ec);
    old->second->out.close(ec);
  }
  pool->second.listeners[namespec] = l;
  pool_of_[namespec] = program.name;
  return {};
}

void ListenerPools::after_spawn(const std::string& namespec, bool started) {
  Pool* pool = pool_of_listener(namespec);
  if (!pool) return;
  const auto it = pool->listeners.find(namespec);
  if (it == pool->listeners.end()) return;
  std::shared_ptr<Listener> l = it->second;
  close_fd(l->child_stdin);
  close_fd(l->child_stdout);
  if (!started) {
    l->closed = true;
    pool->listeners.erase(it);
    return;
  }
  start_reading(l);
}

void ListenerPools::log_output(const std::string& process, const std::string& group, pid_t pid, bool stderr_channel,
                               const std::string& data) {
  emit(stderr_channel ? listener::EventType::ProcessLogStderr : listener::EventType::ProcessLogStdout,
       listener::log_payload(process, group, pid, stderr_channel, data));
}

void ListenerPools::start_reading(const std::shared_ptr<Listener>& l) {
  l->out.async_read_some(boost::asio::buffer(l->buffer), [this, l](const boost::system::error_code& ec, std::size_t n) {
    if (l->closed) return;
    if (ec) return gone(l, "");  // EOF: the listener exited (its state change says how)
    on_output(l, std::string_view(l->buffer.data(), n));
    if (!l->closed) start_reading(l);
  });
}

void ListenerPools::on_output(const std::shared_ptr<Listener>& l, std::string_view bytes) {
  Pool* pool = pool_of_listener(l->namespec);
  if (!pool) return;
  for (const auto& o : l->reader.feed(bytes)) {
    switch (o.kind) {
      case listener::Reader::Outcome::Kind::Ready:
        break;
      case listener::Reader::Outcome::Kind::Result:
        if (!listener::accepted(o.text)) {
          spdlog::warn("{}: event {} was rejected ({}); it goes back to the pool", l->namespec,
                       l->current ? l->current->serial : 0, o.text.substr(0, 80));
          rebuffer(l);
        }
        l->current.reset();
        break;
      case listener::Reader::Outcome::Kind::Unknown:
        spdlog::warn("{}: {}; it gets no more events until it restarts (supervisord's UNKNOWN state)", l->namespec,
                     o.text);
        rebuffer(l);
        break;
    }
  }
  dispatch(*pool);
}

void ListenerPools::rebuffer(const std::shared_ptr<Listener>& l) {
  Pool* pool = pool_of_listener(l->namespec);
  if (!pool || !l->current) return;
  accept(*pool, std::move(*l->current), true);
  l->current.reset();
}

void ListenerPools::gone(const std::shared_ptr<Listener>& l, const std::string& why) {
  if (!why.empty()) spdlog::warn("{}: {}", l->namespec, why);
  rebuffer(l);
  l->closed = true;
  boost::system::error_code ec;
  l->in.close(ec);
  l->out.close(ec);
  if (Pool* pool = pool_of_listener(l->namespec)) {
    if (auto it = pool->listeners.find(l->namespec); it != pool->listeners.end() && it->second == l) {
      pool->listeners.erase(it);
    }
    dispatch(*pool);
  }
}

// --- ticks -------------------------------------------------------------------------------

void ListenerPools::arm_ticks() {
  for (Tick& tick : ticks_) {
    bool wanted = false;
    for (const auto& [name, pool] : pools_) {
      for (listener::EventType s : pool.subscribed) wanted = wanted || listener::names(s, tick.type);
    }
    if (!wanted) {
      tick.deadline->cancel();
      tick.armed = false;
      continue;
    }
    if (tick.armed) continue;
    tick.armed = true;
    arm_tick(tick);
  }
}

void ListenerPools::arm_tick(Tick& tick) {
  // At the next multiple of the period, as supervisord's ticks come; `when` is that multiple
  // (supervisord's timeslice), once per slice even if the timer fires a little early or late.
  const std::int64_t period_ms = std::int64_t{tick.period_s} * 1000;
  tick.deadline->arm(std::chrono::milliseconds(period_ms - clock_.unix_ms() % period_ms), [this, &tick] {
    const std::int64_t slice = clock_.unix_now() / tick.period_s * tick.period_s;
    if (slice != tick.last_slice) {
      tick.last_slice = slice;
      emit(tick.type, listener::tick_payload(slice));
    }
    arm_tick(tick);
  });
}

}  // namespace konnect
