#include "common/handoff/handoff_state.hpp"

#include "common/handoff/json_fields.hpp"
#include "common/handoff/listener_state.hpp"
#include "common/process_state.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

namespace konnect::handoff {
namespace {

using nlohmann::json;
using namespace detail;

// An instance's fields that differ from a fresh ProcessState's, and its state always: most
// are at their default, and a smaller text is a faster handover (500 programs: a third of
// the bytes). Absent means default, in both directions.
json to_json(const ProcessState& p) {
  const ProcessState d;
  json j = json::object();
  j["state"] = p.state;
  auto put = [&](const char* key, const auto& value, const auto& fresh) {
    if (value != fresh) j[key] = value;
  };
  put("pid", p.pid, d.pid);
  put("pidfd", p.pidfd, d.pidfd);
  put("pgid", p.pgid, d.pgid);
  put("adopted_main", p.adopted_main, d.adopted_main);
  put("spawn_id", p.spawn_id, d.spawn_id);
  put("instance", p.instance, d.instance);
  put("last_pid", p.last_pid, d.last_pid);
  put("last_exit", p.last_exit, d.last_exit);
  put("last_exit_expected", p.last_exit_expected, d.last_exit_expected);
  put("backoff_count", p.backoff_count, d.backoff_count);
  put("crash_streak", p.crash_streak, d.crash_streak);
  put("delay_ms", p.delay_ms, d.delay_ms);
  put("start_after_stop", p.start_after_stop, d.start_after_stop);
  put("stop_prelude_pending", p.stop_prelude_pending, d.stop_prelude_pending);
  put("settled", p.settled, d.settled);
  put("started_at_ns", p.started_at_ns, d.started_at_ns);
  put("start_time", p.start_time, d.start_time);
  put("starts", p.starts, d.starts);
  put("stop_time", p.stop_time, d.stop_time);
  put("exitstatus", p.exitstatus, d.exitstatus);
  put("spawnerr", p.spawnerr, d.spawnerr);
  put("exec_error", p.exec_error, d.exec_error);
  put("log_error", p.log_error, d.log_error);
  put("not_ready", p.not_ready, d.not_ready);
  put("ready_timed_out", p.ready_timed_out, d.ready_timed_out);
  if (p.ready_timeout_ms) j["ready_timeout_ms"] = *p.ready_timeout_ms;
  put("stop_reason", p.stop_reason, d.stop_reason);
  put("health", p.health, d.health);
  put("notify_status", p.notify_status, d.notify_status);
  put("watchdog_reason", p.watchdog_reason, d.watchdog_reason);
  if (p.timer_at_ns) j["timer_at_ns"] = *p.timer_at_ns;
  return j;
}

ProcessState process_from(const json& j, const std::string& at) {
  ProcessState p;
  p.state = text(j, "state", at);
  if (!state_from_string(p.state)) throw Refused(at + ".state: no state '" + p.state + "'");
  if (!j.is_object()) throw Refused(at + ": not an object");
  const auto has = [&](const char* key) { return j.contains(key); };
  const auto int_or = [&](const char* key, std::int64_t lo, std::int64_t hi, std::int64_t fresh) {
    return has(key) ? integer(j, key, at, lo, hi) : fresh;
  };
  const auto text_or = [&](const char* key, const std::string& fresh) { return has(key) ? text(j, key, at) : fresh; };
  const auto flag_or = [&](const char* key, bool fresh) { return has(key) ? flag(j, key, at) : fresh; };
  p.pid = static_cast<int>(int_or("pid", 0, INT32_MAX, p.pid));
  if (has("pidfd")) p.pidfd = fd(j, "pidfd", at);
  p.pgid = static_cast<int>(int_or("pgid", 0, INT32_MAX, p.pgid));
  p.adopted_main = flag_or("adopted_main", p.adopted_main);
  if (has("spawn_id")) p.spawn_id = count(j, "spawn_id", at);
  p.instance = static_cast<unsigned>(int_or("instance", 0, UINT32_MAX, p.instance));
  p.last_pid = static_cast<int>(int_or("last_pid", 0, INT32_MAX, p.last_pid));
  p.last_exit = text_or("last_exit", p.last_exit);
  p.last_exit_expected = flag_or("last_exit_expected", p.last_exit_expected);
  p.backoff_count = static_cast<int>(int_or("backoff_count", 0, INT32_MAX, p.backoff_count));
  p.crash_streak = static_cast<int>(int_or("crash_streak", 0, INT32_MAX, p.crash_streak));
  p.delay_ms = int_or("delay_ms", 0, INT64_MAX, p.delay_ms);
  p.start_after_stop = flag_or("start_after_stop", p.start_after_stop);
  p.stop_prelude_pending = flag_or("stop_prelude_pending", p.stop_prelude_pending);
  p.settled = flag_or("settled", p.settled);
  p.started_at_ns = int_or("started_at_ns", INT64_MIN, INT64_MAX, p.started_at_ns);
  p.start_time = int_or("start_time", INT64_MIN, INT64_MAX, p.start_time);
  if (has("starts")) p.starts = count(j, "starts", at);
  p.stop_time = int_or("stop_time", INT64_MIN, INT64_MAX, p.stop_time);
  p.exitstatus = static_cast<int>(int_or("exitstatus", INT32_MIN, INT32_MAX, p.exitstatus));
  p.spawnerr = text_or("spawnerr", p.spawnerr);
  p.exec_error = text_or("exec_error", p.exec_error);
  p.log_error = text_or("log_error", p.log_error);
  p.not_ready = text_or("not_ready", p.not_ready);
  p.ready_timed_out = flag_or("ready_timed_out", p.ready_timed_out);
  if (has("ready_timeout_ms")) p.ready_timeout_ms = maybe_integer(j, "ready_timeout_ms", at);
  if (p.ready_timeout_ms && *p.ready_timeout_ms < 0) throw Refused(at + ".ready_timeout_ms: negative");
  p.stop_reason = text_or("stop_reason", p.stop_reason);
  p.health = text_or("health", p.health);
  if (p.health != "ok" && p.health != "failing" && p.health != "none") {
    throw Refused(at + ".health: no health '" + p.health + "'");
  }
  p.notify_status = text_or("notify_status", p.notify_status);
  p.watchdog_reason = text_or("watchdog_reason", p.watchdog_reason);
  if (has("timer_at_ns")) p.timer_at_ns = maybe_integer(j, "timer_at_ns", at);
  if (p.pid == 0 && p.pidfd != -1) throw Refused(at + ": a pidfd without a pid");
  return p;
}

json to_json(const Pipes& p) {
  json sources = json::array();
  for (const auto& [stream, source] : p.sources) sources.push_back({stream, source});
  return {{"stdout_fd", p.stdout_fd}, {"stderr_fd", p.stderr_fd}, {"sources", sources}};
}

Pipes pipes_from(const json& j, const std::string& at) {
  Pipes p;
  p.stdout_fd = fd(j, "stdout_fd", at);
  p.stderr_fd = fd(j, "stderr_fd", at);
  const json& sources = array(j, "sources", at);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const json& pair = sources[i];
    const std::string here = at + ".sources[" + std::to_string(i) + "]";
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() || !pair[1].is_number_unsigned()) {
      throw Refused(here + ": not a [stream, source] pair");
    }
    p.sources.emplace_back(pair[0].get<std::uint64_t>(), pair[1].get<std::uint64_t>());
  }
  return p;
}

json optional_count(const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); }

json to_json(const State& s) {
  json programs = json::array();
  for (const auto& program : s.programs) {
    json copies = json::array();
    for (const auto& c : program.copies) {
      copies.push_back({{"name", c.name},
                        {"stdout_stream", optional_count(c.stdout_stream)},
                        {"stderr_stream", optional_count(c.stderr_stream)},
                        {"pipes", to_json(c.pipes)},
                        {"notify_fd", c.notify_fd},
                        {"notify_path", c.notify_path},
                        {"current", to_json(c.current)}});
    }
    programs.push_back({{"name", program.name}, {"copies", copies}});
  }
  json streams = json::array();
  for (const auto& st : s.streams) {
    json sources = json::array();
    for (const auto& src : st.sources) {
      json source = {{"id", src.id}, {"read_fd", src.read_fd}, {"at_line_start", src.at_line_start}};
      if (st.console != 0) source["partial"] = bytes_json(src.partial);
      sources.push_back(std::move(source));
    }
    if (st.console != 0) {
      streams.push_back({{"id", st.id}, {"name", st.name}, {"console", st.console}, {"label", st.label},
                         {"timestamps", st.timestamps}, {"written", st.written}, {"sources", sources}});
      continue;
    }
    streams.push_back({{"id", st.id},
                       {"name", st.name},
                       {"path", st.path},
                       {"file_fd", st.file_fd},
                       {"size", st.size},
                       {"maxbytes", st.maxbytes},
                       {"backups", st.backups},
                       {"timestamps", st.timestamps},
                       {"rotations", st.rotations},
                       {"written", st.written},
                       {"sources", sources}});
  }
  json sockets = json::array();
  for (const auto& so : s.sockets) sockets.push_back({{"program", so.program}, {"address", so.address}, {"fd", so.fd}});
  json j = {{"version", s.lowest_version()},
          {"konnectd_version", s.konnectd_version},
          {"config_file", s.config_file},
          {"config_toml", s.config_toml},
          {"allow_insecure_config", s.allow_insecure_config},
          {"control_fd", s.control_fd},
          {"supervisor_socket_fd", s.supervisor_socket_fd},
          {"http_fd", s.http_fd},
          {"requester", s.requester ? json{{"fd", s.requester->fd},
                                           {"request_id", s.requester->request_id},
                                           {"requested_at_ns", s.requester->requested_at_ns},
                                           {"paused_at_ns", s.requester->paused_at_ns}}
                                    : json(nullptr)},
          {"next_spawn_id", s.next_spawn_id},
          {"next_stream_id", s.next_stream_id},
          {"next_source_id", s.next_source_id},
          {"event_seq", s.event_seq},
          {"ready", s.ready},
          {"programs", programs},
          {"streams", streams},
          {"sockets", sockets}};
  if (s.listeners) j["listeners"] = detail::to_json(*s.listeners);
  if (!s.web_token.empty()) j["web_token"] = s.web_token;
  return j;
}

// Every fd the state names, in order, duplicates kept.
std::vector<int> named_fds(const State& s) {
  std::vector<int> out;
  auto add = [&](int f) {
    if (f >= 0) out.push_back(f);
  };
  add(s.control_fd);
  add(s.supervisor_socket_fd);
  add(s.http_fd);
  if (s.requester) add(s.requester->fd);
  for (const auto& p : s.programs) {
    for (const auto& c : p.copies) {
      add(c.pipes.stdout_fd);
      add(c.pipes.stderr_fd);
      add(c.notify_fd);
      add(c.current.pidfd);
    }
  }
  for (const auto& st : s.streams) {
    add(st.file_fd);
    for (const auto& src : st.sources) add(src.read_fd);
  }
  for (const auto& so : s.sockets) add(so.fd);
  if (s.listeners) add_fds(*s.listeners, out);
  return out;
}

State state_from(const json& j) {
  const std::string at = "state";
  State s;
  s.version = static_cast<int>(integer(j, "version", at, INT32_MIN, INT32_MAX));
  if (std::find(kReadableVersions.begin(), kReadableVersions.end(), s.version) == kReadableVersions.end()) {
    throw Refused("state version " + std::to_string(s.version) + " is not one this konnectd reads (it reads " +
                  readable_versions_text() + ")");
  }
  s.konnectd_version = text(j, "konnectd_version", at);
  s.config_file = name(j, "config_file", at);
  s.config_toml = text(j, "config_toml", at);
  s.allow_insecure_config = flag(j, "allow_insecure_config", at);
  s.control_fd = fd(j, "control_fd", at);
  if (s.control_fd < 0) throw Refused(at + ".control_fd: the control socket is missing");
  if (j.contains("supervisor_socket_fd")) s.supervisor_socket_fd = fd(j, "supervisor_socket_fd", at);
  if (j.contains("http_fd")) s.http_fd = fd(j, "http_fd", at);
  if (j.contains("web_token")) s.web_token = text(j, "web_token", at);
  if (!field(j, "requester", at).is_null()) {
    const json& r = j["requester"];
    s.requester = Requester{fd(r, "fd", at + ".requester"), text(r, "request_id", at + ".requester"),
                            integer(r, "requested_at_ns", at + ".requester", INT64_MIN, INT64_MAX)};
    s.requester->paused_at_ns = r.is_object() && r.contains("paused_at_ns")
                                    ? integer(r, "paused_at_ns", at + ".requester", INT64_MIN, INT64_MAX)
                                    : s.requester->requested_at_ns;
    if (s.requester->fd < 0) throw Refused(at + ".requester.fd: missing");
  }
  s.next_spawn_id = count(j, "next_spawn_id", at);
  s.next_stream_id = count(j, "next_stream_id", at);
  s.next_source_id = count(j, "next_source_id", at);
  s.event_seq = count(j, "event_seq", at);
  s.ready = flag(j, "ready", at);
  const json& programs = array(j, "programs", at);
  for (std::size_t i = 0; i < programs.size(); ++i) {
    const std::string here = at + ".programs[" + std::to_string(i) + "]";
    ProgramState program;
    program.name = name(programs[i], "name", here);
    const json& copies = array(programs[i], "copies", here);
    for (std::size_t k = 0; k < copies.size(); ++k) {
      const std::string c_at = here + ".copies[" + std::to_string(k) + "]";
      const json& c = copies[k];
      CopyState copy;
      copy.name = name(c, "name", c_at);
      copy.stdout_stream = maybe_count(c, "stdout_stream", c_at);
      copy.stderr_stream = maybe_count(c, "stderr_stream", c_at);
      copy.pipes = pipes_from(field(c, "pipes", c_at), c_at + ".pipes");
      copy.notify_fd = fd(c, "notify_fd", c_at);
      copy.notify_path = text(c, "notify_path", c_at);
      copy.current = process_from(field(c, "current", c_at), c_at + ".current");
      program.copies.push_back(std::move(copy));
    }
    s.programs.push_back(std::move(program));
  }
  const json& streams = array(j, "streams", at);
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const std::string here = at + ".streams[" + std::to_string(i) + "]";
    const json& st = streams[i];
    StreamState stream;
    stream.id = count(st, "id", here);
    stream.name = text(st, "name", here);
    if (st.contains("console")) {
      if (s.version < 3) throw Refused(here + ".console: not in a version " + std::to_string(s.version) + " state");
      stream.console = static_cast<int>(integer(st, "console", here, 1, 2));
      stream.label = name(st, "label", here);
      stream.written = count(st, "written", here);
    } else {
      stream.path = name(st, "path", here);
      stream.file_fd = fd(st, "file_fd", here);
      if (stream.file_fd < 0) throw Refused(here + ".file_fd: missing");
      stream.size = count(st, "size", here);
      stream.maxbytes = count(st, "maxbytes", here);
      stream.backups = static_cast<int>(integer(st, "backups", here, 0, 1000));
      stream.rotations = count(st, "rotations", here);
      if (st.contains("written")) stream.written = count(st, "written", here);
    }
    stream.timestamps = flag(st, "timestamps", here);
    const json& sources = array(st, "sources", here);
    for (std::size_t k = 0; k < sources.size(); ++k) {
      const std::string s_at = here + ".sources[" + std::to_string(k) + "]";
      SourceState source{count(sources[k], "id", s_at), fd(sources[k], "read_fd", s_at),
                         flag(sources[k], "at_line_start", s_at), {}};
      if (source.read_fd < 0) throw Refused(s_at + ".read_fd: missing");
      if (stream.console != 0) source.partial = bytes(sources[k], "partial", s_at);
      stream.sources.push_back(std::move(source));
    }
    s.streams.push_back(std::move(stream));
  }
  const json& sockets = array(j, "sockets", at);
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    const std::string here = at + ".sockets[" + std::to_string(i) + "]";
    SocketState socket{name(sockets[i], "program", here), name(sockets[i], "address", here),
                       fd(sockets[i], "fd", here)};
    if (socket.fd < 0) throw Refused(here + ".fd: missing");
    s.sockets.push_back(std::move(socket));
  }
  if (j.contains("listeners")) {
    if (s.version < 2) throw Refused(at + ".listeners: not in a version " + std::to_string(s.version) + " state");
    s.listeners = listeners_from(j["listeners"], at + ".listeners");
  }
  // One owner per fd: a number named twice would be closed twice.
  std::set<int> seen;
  for (int f : named_fds(s)) {
    if (!seen.insert(f).second) throw Refused("fd " + std::to_string(f) + " is named twice");
  }
  return s;
}

}  // namespace

std::vector<int> State::fds() const {
  std::vector<int> out = named_fds(*this);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string encode(const State& state) { return to_json(state).dump(); }

Result<State> decode(std::string_view text) {
  try {
    const json j = json::parse(text.begin(), text.end(), nullptr, true, false);
    return state_from(j);
  } catch (const Refused& e) {
    return make_error(ErrorCode::Failed, std::string("unreadable state: ") + e.what());
  } catch (const std::exception& e) {
    return make_error(ErrorCode::Failed, std::string("unreadable state: ") + e.what());
  }
}

Result<void> fits(const State& state, const Config& config) {
  for (const auto& p : state.programs) {
    const ProgramConfig* program = config.find_program(p.name);
    if (program == nullptr) return make_error(ErrorCode::Failed, "program " + p.name + " is not in the config");
    const auto names = process_names(*program);
    if (names.size() != p.copies.size()) {
      return make_error(ErrorCode::Failed, "program " + p.name + " has " + std::to_string(names.size()) +
                                               " process(es) in the config, " + std::to_string(p.copies.size()) +
                                               " in the state");
    }
    for (const auto& c : p.copies) {
      if (std::find(names.begin(), names.end(), c.name) == names.end()) {
        return make_error(ErrorCode::Failed, "program " + p.name + " has no process " + c.name);
      }
    }
  }
  return {};
}

int State::lowest_version() const {
  for (const auto& st : streams) {
    if (st.console != 0) return 3;
  }
  return listeners ? 2 : 1;
}

std::string readable_versions_text() {
  std::string out;
  for (int v : kReadableVersions) out += (out.empty() ? "" : " ") + std::to_string(v);
  return out;
}

bool lists_version(std::string_view output, int version) {
  std::istringstream in{std::string(output)};
  for (std::string word; in >> word;) {
    if (word == std::to_string(version)) return true;
  }
  return false;
}

}  // namespace konnect::handoff
