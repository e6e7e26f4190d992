#include "common/handoff/listener_state.hpp"

#include "common/listener/listener_protocol.hpp"

namespace konnect::handoff::detail {
namespace {

json to_json(const ListenerEvent& e) {
  return {{"type", e.type}, {"payload", bytes_json(e.payload)}, {"serial", e.serial}, {"pool_serial", e.pool_serial}};
}

ListenerEvent event_from(const json& j, const std::string& at) {
  ListenerEvent e{name(j, "type", at), bytes(j, "payload", at), count(j, "serial", at), count(j, "pool_serial", at)};
  if (!listener::event_type(e.type)) throw Refused(at + ".type: no event type '" + e.type + "'");
  return e;
}

json to_json(const ListenerProcess& l) {
  return {{"namespec", l.namespec},
          {"stdin_fd", l.stdin_fd},
          {"stdout_fd", l.stdout_fd},
          {"reader_state", l.reader_state},
          {"reader_buffer", bytes_json(l.reader_buffer)},
          {"result_length", l.result_length ? json(*l.result_length) : json(nullptr)},
          {"current", l.current ? to_json(*l.current) : json(nullptr)},
          {"unwritten", bytes_json(l.unwritten)},
          {"running", l.running}};
}

ListenerProcess process_from(const json& j, const std::string& at) {
  ListenerProcess l;
  l.namespec = name(j, "namespec", at);
  l.stdin_fd = fd(j, "stdin_fd", at);
  l.stdout_fd = fd(j, "stdout_fd", at);
  if (l.stdin_fd < 0 || l.stdout_fd < 0) throw Refused(at + ": a listener without its pipes");
  l.reader_state = text(j, "reader_state", at);
  if (!listener::reader_state(l.reader_state)) {
    throw Refused(at + ".reader_state: no state '" + l.reader_state + "'");
  }
  l.reader_buffer = bytes(j, "reader_buffer", at);
  l.result_length = maybe_count(j, "result_length", at);
  if (!field(j, "current", at).is_null()) l.current = event_from(j["current"], at + ".current");
  l.unwritten = bytes(j, "unwritten", at);
  l.running = flag(j, "running", at);
  return l;
}

}  // namespace

json to_json(const Listeners& listeners) {
  json pools = json::array();
  for (const ListenerPool& p : listeners.pools) {
    json buffer = json::array();
    for (const auto& e : p.buffer) buffer.push_back(to_json(e));
    json processes = json::array();
    for (const auto& l : p.listeners) processes.push_back(to_json(l));
    pools.push_back(
        {{"name", p.name}, {"next_pool_serial", p.next_pool_serial}, {"buffer", buffer}, {"listeners", processes}});
  }
  json ticks = json::array();
  for (const auto& [period, slice] : listeners.tick_slices) ticks.push_back({period, slice});
  return {{"next_serial", listeners.next_serial}, {"groups", listeners.groups}, {"tick_slices", ticks}, {"pools", pools}};
}

Listeners listeners_from(const json& j, const std::string& at) {
  Listeners out;
  out.next_serial = count(j, "next_serial", at);
  const json& groups = array(j, "groups", at);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (!groups[i].is_string()) throw Refused(at + ".groups[" + std::to_string(i) + "]: not a string");
    out.groups.push_back(groups[i].get<std::string>());
  }
  const json& ticks = array(j, "tick_slices", at);
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    const json& t = ticks[i];
    if (!t.is_array() || t.size() != 2 || !t[0].is_number_integer() || !t[1].is_number_integer()) {
      throw Refused(at + ".tick_slices[" + std::to_string(i) + "]: not a [period, when] pair");
    }
    out.tick_slices.emplace_back(t[0].get<int>(), t[1].get<std::int64_t>());
  }
  const json& pools = array(j, "pools", at);
  for (std::size_t i = 0; i < pools.size(); ++i) {
    const std::string here = at + ".pools[" + std::to_string(i) + "]";
    ListenerPool pool;
    pool.name = name(pools[i], "name", here);
    pool.next_pool_serial = count(pools[i], "next_pool_serial", here);
    const json& buffer = array(pools[i], "buffer", here);
    for (std::size_t k = 0; k < buffer.size(); ++k) {
      pool.buffer.push_back(event_from(buffer[k], here + ".buffer[" + std::to_string(k) + "]"));
    }
    const json& processes = array(pools[i], "listeners", here);
    for (std::size_t k = 0; k < processes.size(); ++k) {
      pool.listeners.push_back(process_from(processes[k], here + ".listeners[" + std::to_string(k) + "]"));
    }
    out.pools.push_back(std::move(pool));
  }
  return out;
}

void add_fds(const Listeners& listeners, std::vector<int>& out) {
  for (const auto& p : listeners.pools) {
    for (const auto& l : p.listeners) {
      out.push_back(l.stdin_fd);
      out.push_back(l.stdout_fd);
    }
  }
}

}  // namespace konnect::handoff::detail
