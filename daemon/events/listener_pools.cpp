#include "daemon/events/listener_pools.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
  std::string unwritten;  // of the event in flight, what its stdin has not taken yet
  bool running = false;  // in the RUNNING state: only then does it get events
  bool closed = false;
  int child_stdin = -1;   // the child's ends, until the spawn is done
  int child_stdout = -1;
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
    ready->unwritten = listener::envelope(event.serial, pool.name, event.pool_serial, event.type, event.payload);
    ready->reader.sent();
    spdlog::debug("{}: event {} ({}) sent", ready->namespec, event.serial, listener::event_name(event.type));
    ready->current = std::move(event);
    flush(ready);
  }
}

void ListenerPools::flush(const std::shared_ptr<Listener>& l) {
  while (!l->unwritten.empty() && !l->closed) {
    const ssize_t n = ::write(l->in.native_handle(), l->unwritten.data(), l->unwritten.size());
    if (n > 0) {
      l->unwritten.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Its stdin is full: the rest when it has room (a listener busy elsewhere holds only
      // its own events up).
      l->in.async_wait(boost::asio::posix::descriptor_base::wait_write, [this, l](const boost::system::error_code& ec) {
        if (l->closed || ec == boost::asio::error::operation_aborted) return;
        if (ec) return gone(l, "cannot wait for its stdin: " + ec.message());
        flush(l);
      });
      return;
    } else {
      return gone(l, std::string("cannot write to its stdin: ") + std::strerror(errno));
    }
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
  l->out.async_wait(boost::asio::posix::descriptor_base::wait_read, [this, l](const boost::system::error_code& ec) {
    if (l->closed || ec == boost::asio::error::operation_aborted) return;
    if (ec) return gone(l, "cannot wait for its stdout: " + ec.message());
    // Everything there is, until the pipe is empty: readiness is reported once per arrival
    // (edge-triggered), and a listener that wrote more than one read takes may be waiting
    // for its next event, writing nothing more.
    std::array<char, 4096> buffer;
    for (;;) {
      const ssize_t n = ::read(l->out.native_handle(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // EOF: the listener exited (its state change says how).
      if (n <= 0) return gone(l, n < 0 ? std::string("cannot read its stdout: ") + std::strerror(errno) : "");
      on_output(l, std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      if (l->closed) return;
    }
    start_reading(l);
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

// --- reexec -----------------------------------------------------------------------------

namespace {

handoff::ListenerEvent saved(listener::EventType type, const std::string& payload, std::uint64_t serial,
                             std::uint64_t pool_serial) {
  return {std::string(listener::event_name(type)), payload, serial, pool_serial};
}

}  // namespace

handoff::Listeners ListenerPools::snapshot() const {
  handoff::Listeners out;
  out.next_serial = next_serial_;
  out.groups = groups_;
  for (const Tick& tick : ticks_) out.tick_slices.emplace_back(tick.period_s, tick.last_slice);
  for (const auto& [name, pool] : pools_) {
    handoff::ListenerPool p{name, pool.next_pool_serial, {}, {}};
    for (const Pending& e : pool.buffer) p.buffer.push_back(saved(e.type, e.payload, e.serial, e.pool_serial));
    for (const auto& [spec, l] : pool.listeners) {
      if (l->closed || !l->in.is_open() || !l->out.is_open()) continue;
      const listener::Reader::Saved reader = l->reader.save();
      handoff::ListenerProcess h{spec, l->in.native_handle(), l->out.native_handle(),
                                 std::string(listener::reader_state_name(reader.state)), reader.buffer,
                                 reader.result_length, std::nullopt, l->unwritten, l->running};
      if (l->current) h.current = saved(l->current->type, l->current->payload, l->current->serial, l->current->pool_serial);
      p.listeners.push_back(std::move(h));
    }
    out.pools.push_back(std::move(p));
  }
  return out;
}

void ListenerPools::adopt(const Config& config, const std::optional<handoff::Listeners>& state) {
  // What the previous image announced and numbered goes on, not again from the start.
  configured_ = true;
  groups_ = state ? state->groups : group_names(config);
  if (state) {
    next_serial_ = state->next_serial;
    for (Tick& tick : ticks_) {
      for (const auto& [period, slice] : state->tick_slices) {
        if (period == tick.period_s) tick.last_slice = slice;
      }
    }
  }
  configure(config);
  if (!state) return;
  auto pending = [](const handoff::ListenerEvent& e) {
    return Pending{*listener::event_type(e.type), e.payload, e.serial, e.pool_serial};  // decode checked the type
  };
  for (const handoff::ListenerPool& p : state->pools) {
    auto it = pools_.find(p.name);
    for (const handoff::ListenerProcess& h : p.listeners) {
      if (it == pools_.end()) {  // not in the config any more (it is the same config: never)
        ::close(h.stdin_fd);
        ::close(h.stdout_fd);
        continue;
      }
      auto l = std::make_shared<Listener>(executor_, h.namespec);
      ::fcntl(h.stdin_fd, F_SETFL, O_NONBLOCK);
      ::fcntl(h.stdout_fd, F_SETFL, O_NONBLOCK);
      l->in.assign(h.stdin_fd);
      l->out.assign(h.stdout_fd);
      l->reader = listener::Reader::restore({*listener::reader_state(h.reader_state), h.reader_buffer, h.result_length});
      if (h.current) l->current = pending(*h.current);
      l->unwritten = h.unwritten;
      l->running = h.running;
      it->second.listeners[h.namespec] = l;
      pool_of_[h.namespec] = p.name;
      start_reading(l);
      flush(l);
    }
    if (it == pools_.end()) continue;
    Pool& pool = it->second;
    pool.next_pool_serial = p.next_pool_serial;
    // The handed-over events first: they came before anything configure() said.
    for (auto e = p.buffer.rbegin(); e != p.buffer.rend(); ++e) accept(pool, pending(*e), true);
  }
  for (auto& [name, pool] : pools_) dispatch(pool);
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
