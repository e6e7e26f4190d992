#include "daemon/control/request_handler.hpp"

#include "common/protocol/requests.hpp"
#include "common/protocol/results.hpp"
#include "daemon/supervision/supervisor.hpp"
#include "daemon/system/daemon_log.hpp"
#include "version.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <optional>
#include <set>

namespace konnect {
namespace {

Error bad_arguments(std::string message) { return make_error(ErrorCode::BadArguments, std::move(message)); }

}  // namespace

// The one command table: every command the daemon knows, who may send it, and its handler.
// konnectctl's own table (ctl/commands) is the client's side of the same names.
struct RequestHandler::Command {
  std::string_view name;
  bool read_only;      // a socket_readonly_group member may send it
  bool reads_targets;  // args.targets is checked before the handler runs
  void (RequestHandler::*run)(const Request&, const Targets&, Reply);
};

const RequestHandler::Command* RequestHandler::find(std::string_view cmd) {
  using H = RequestHandler;
  static constexpr std::array<Command, 23> kCommands{{
      {"version", true, false, &H::do_version},
      {"status", true, true, &H::do_status},
      {"pid", true, true, &H::do_pid},
      {"stats", true, true, &H::do_stats},
      {"events", true, true, &H::do_events},
      {"wait", true, true, &H::do_wait},
      {"start", false, true, &H::do_operation},
      {"stop", false, true, &H::do_operation},
      {"restart", false, true, &H::do_operation},
      {"signal", false, true, &H::do_signal},
      {"logreopen", false, true, &H::do_logreopen},
      {"tail", false, true, &H::do_tail},
      {"clear", false, true, &H::do_clear},
      {"maintail", false, true, &H::do_maintail},
      {"mainclear", false, false, &H::do_mainclear},
      {"shutdown", false, true, &H::do_shutdown},
      {"reexec", false, false, &H::do_reexec},
      {"reread", false, true, &H::do_reread},
      {"reload", false, true, &H::do_reload},
      {"update", false, true, &H::do_reload},
      {"avail", false, true, &H::do_avail},
      {"add", false, true, &H::do_add_remove},
      {"remove", false, true, &H::do_add_remove},
  }};
  for (const Command& c : kCommands) {
    if (c.name == cmd) return &c;
  }
  return nullptr;
}

bool RequestHandler::is_read_only(std::string_view cmd) {
  const Command* c = find(cmd);
  return c != nullptr && c->read_only;
}

RequestHandler::RequestHandler(Supervisor& supervisor, DaemonControl& daemon)
    : supervisor_(supervisor), daemon_(daemon), config_commands_(daemon), event_commands_(supervisor) {}

void RequestHandler::handle_line(std::string_view line, Access access, Reply reply) {
  Json id;
  auto request = parse_request(line, &id);
  if (!request) {
    reply(encode_error(id, request.error()));
    return;
  }
  const Command* command = find(request->cmd);
  if (access == Access::None || (access == Access::ReadOnly && (command == nullptr || !command->read_only))) {
    const std::string why = access == Access::None
                                ? "permission denied: only root and members of [konnectd] socket_group may use konnectd"
                                : "permission denied: members of socket_readonly_group may only ask status, pid, version, events and wait";
    reply(encode_error(id, make_error(ErrorCode::PermissionDenied, why)));
    return;
  }
  if (command == nullptr) {
    reply(encode_error(id, make_error(ErrorCode::UnknownCommand, "unknown command: " + request->cmd)));
    return;
  }
  Targets targets;
  if (command->reads_targets) {
    auto read = decode_targets_args(request->args);
    if (!read) return reply(encode_error(id, read.error()));
    targets = std::move(read->targets);
  }
  (this->*command->run)(*request, targets, std::move(reply));
}

void RequestHandler::do_version(const Request& request, const Targets&, Reply reply) {
  reply(encode_ok(request.id, {{"version", kVersion}}));
}

void RequestHandler::do_status(const Request& request, const Targets& targets, Reply reply) {
  auto processes = supervisor_.resolve(targets.empty() ? Targets{"all"} : targets);
  if (!processes) return reply(encode_error(request.id, processes.error()));
  // Written as text, not built as a Json tree: at a thousand programs the tree and its
  // dump were most of the answer's time (docs/benchmarks.md).
  std::string result = "{\"processes\":[";
  result.reserve(256 * processes->size() + 16);
  for (const Process* p : *processes) {
    if (result.back() != '[') result += ',';
    append_json(result, supervisor_.info(*p));
  }
  result += "]}";
  reply(encode_ok_text(request.id, result));
}

// stats: what /metrics says of each process's use of the machine, as JSON (the web page's
// CPU and memory columns). Figures that cannot be read are left out.
void RequestHandler::do_stats(const Request& request, const Targets& targets, Reply reply) {
  std::optional<std::set<std::string>> wanted;
  if (!targets.empty()) {
    auto processes = supervisor_.resolve(targets);
    if (!processes) return reply(encode_error(request.id, processes.error()));
    wanted.emplace();
    for (const Process* p : *processes) wanted->insert(p->namespec());
  }
  daemon_.sample_metrics([id = request.id, reply, wanted = std::move(wanted)](std::vector<ProcessMetrics> sample) {
    Json list = Json::array();
    for (const ProcessMetrics& m : sample) {
      ProcessInfo info;
      info.group = m.group;
      info.process = m.name;
      const std::string name = info.namespec();
      if (wanted && !wanted->count(name)) continue;
      Json j = {{"name", name}, {"restarts", m.restarts}};
      if (m.usage.cpu_seconds) j["cpu_seconds"] = *m.usage.cpu_seconds;
      if (m.usage.memory_bytes) j["memory_bytes"] = *m.usage.memory_bytes;
      if (m.stdout_bytes) j["stdout_bytes"] = *m.stdout_bytes;
      if (m.stderr_bytes) j["stderr_bytes"] = *m.stderr_bytes;
      list.push_back(std::move(j));
    }
    reply(encode_ok(id, {{"processes", std::move(list)}}));
  });
}

void RequestHandler::do_pid(const Request& request, const Targets& targets, Reply reply) {
  if (targets.empty()) return reply(encode_ok(request.id, {{"pid", ::getpid()}}));
  auto processes = supervisor_.resolve(targets);
  if (!processes) return reply(encode_error(request.id, processes.error()));
  Json list = Json::array();
  for (const Process* p : *processes) list.push_back({{"name", p->namespec()}, {"pid", p->pid()}});
  reply(encode_ok(request.id, {{"processes", std::move(list)}}));
}

void RequestHandler::do_operation(const Request& request, const Targets& targets, Reply reply) {
  const Json id = request.id;
  const Operation::Kind kind = request.cmd == "start"  ? Operation::Kind::Start
                               : request.cmd == "stop" ? Operation::Kind::Stop
                                                       : Operation::Kind::Restart;
  if (targets.empty()) return reply(encode_error(id, bad_arguments(request.cmd + " needs \"targets\"")));
  if (supervisor_.is_shutting_down()) {
    return reply(encode_error(id, make_error(ErrorCode::ShuttingDown, "konnectd is shutting down")));
  }
  auto processes = supervisor_.resolve(targets);
  if (!processes) return reply(encode_error(id, processes.error()));
  supervisor_.run_operation(kind, std::move(*processes),
                           [id, reply](ProcessResults results) { reply(encode_ok(id, encode_results(results))); });
}

void RequestHandler::do_signal(const Request& request, const Targets& targets, Reply reply) {
  const Json id = request.id;
  auto fail = [&](const Error& e) { reply(encode_error(id, e)); };
  if (targets.empty()) return fail(bad_arguments("signal needs \"targets\""));
  auto args = decode_signal_args(request.args);
  if (!args) return fail(args.error());
  auto processes = supervisor_.resolve(targets);
  if (!processes) return fail(processes.error());
  ProcessResults results;
  for (Process* p : *processes) {
    auto sent = p->signal(signal_number(*args));
    results.push_back({p->namespec(), p->state(), sent ? std::nullopt : std::optional<Error>(sent.error())});
  }
  reply(encode_ok(id, encode_results(results)));
}

void RequestHandler::do_logreopen(const Request& request, const Targets&, Reply reply) {
  daemon_.reopen_logs([id = request.id, reply](const std::vector<Error>& errors) {
    if (errors.empty()) {
      reply(encode_ok(id, {{"message", "Reopened log files"}}));
      return;
    }
    std::string text;
    for (const auto& e : errors) text += (text.empty() ? "" : "; ") + e.to_string();
    reply(encode_error(id, make_error(ErrorCode::Io, text)));
  });
}

void RequestHandler::do_shutdown(const Request& request, const Targets&, Reply reply) {
  reply(encode_ok(request.id, {{"message", "Shut down"}}));
  daemon_.request_shutdown();
}

void RequestHandler::do_reexec(const Request& request, const Targets&, Reply reply) {
  daemon_.reexec(request.id, reply);
}

void RequestHandler::do_reread(const Request& request, const Targets&, Reply reply) {
  config_commands_.reread(request, reply);
}
void RequestHandler::do_reload(const Request& request, const Targets& targets, Reply reply) {
  config_commands_.reload(request, targets, reply);
}
void RequestHandler::do_avail(const Request& request, const Targets&, Reply reply) {
  config_commands_.avail(request, reply);
}
void RequestHandler::do_events(const Request& request, const Targets& targets, Reply reply) {
  event_commands_.events(request, targets, reply);
}
void RequestHandler::do_wait(const Request& request, const Targets& targets, Reply reply) {
  event_commands_.wait(request, targets, reply);
}
void RequestHandler::do_add_remove(const Request& request, const Targets& targets, Reply reply) {
  config_commands_.add_remove(request, targets, reply);
}

namespace {

constexpr std::size_t kMaxTailBytes = 1024 * 1024;

}  // namespace

void RequestHandler::do_tail(const Request& request, const Targets&, Reply reply) {
  const Json id = request.id;
  auto fail = [&](const Error& e) { reply(encode_error(id, e)); };
  auto args = decode_tail_args(request.args);
  if (!args) return fail(args.error());
  auto processes = supervisor_.resolve({args->name});
  if (!processes) return fail(processes.error());
  if (processes->size() != 1) {
    return fail(bad_arguments(args->name + " names " + std::to_string(processes->size()) +
                              " processes; tail one of them as GROUP:NAME"));
  }
  const Process& p = *processes->front();
  auto sid = supervisor_.log_stream(p, args->stderr_stream);
  if (!sid) return fail(sid.error());
  const bool follow = args->follow;
  const std::string path = supervisor_.pump().path_of(*sid).string();
  Supervisor& supervisor = supervisor_;
  if (args->offset) {
    // A range from an offset (supervisord's readProcessStdoutLog from a positive offset).
    auto size = std::make_shared<std::uint64_t>(0);
    return supervisor_.pump().read_file_range(
        path, *args->offset, args->bytes > 0 ? args->bytes : kMaxTailBytes,
        [id, reply, path, namespec = p.namespec(), size](Result<std::string> data) {
          if (!data) return reply(encode_error(id, data.error()));
          reply(encode_ok(id, {{"name", namespec}, {"path", path}, {"data", *data}, {"size", *size}}));
        },
        size);
  }
  // "bytes": the last N bytes, whatever the lines (supervisord's readProcessStdoutLog).
  const std::size_t lines = args->bytes > 0 ? SIZE_MAX : args->lines;
  const std::size_t max_bytes = args->bytes > 0 ? std::min(args->bytes, kMaxTailBytes) : kMaxTailBytes;
  auto size = args->bytes > 0 ? std::make_shared<std::uint64_t>(0) : nullptr;
  supervisor_.pump().tail_file(
      path, lines, max_bytes,
      [id, reply, path, follow, sid = *sid, &supervisor, namespec = p.namespec(), size](Result<std::string> data) {
        if (!data) {
          reply(encode_error(id, data.error()));
          return;
        }
        Json first = {{"name", namespec}, {"path", path}, {"data", *data}};
        // Where a reader that has all of it would go on from (XML-RPC's tailProcessLog).
        if (size) first["size"] = *size;
        if (!follow) {
          reply(encode_ok(id, first));
          return;
        }
        // tail -f: one answer line per chunk written, until the client goes.
        first["more"] = true;
        if (!reply.stream(encode_ok(id, first))) return;
        spdlog::debug("A client follows {} ({})", namespec, path);
        supervisor.follow(
            sid,
            [id, reply](const std::string& chunk) {
              return reply.stream(encode_ok(id, {{"data", chunk}, {"more", true}}));
            },
            [id, reply, namespec] {
              reply(encode_error(id, make_error(ErrorCode::Failed, namespec + " was removed from the config; its log is no longer followed")));
            });
      },
      follow ? std::optional<OutputPump::StreamId>(*sid) : std::nullopt, size);
}

void RequestHandler::do_clear(const Request& request, const Targets& targets, Reply reply) {
  const Json id = request.id;
  if (targets.empty()) return reply(encode_error(id, bad_arguments("clear needs \"targets\"")));
  auto processes = supervisor_.resolve(targets);
  if (!processes) return reply(encode_error(id, processes.error()));
  // One truncate per stream on the pump thread; answer when the last is done.
  struct Pending {
    ProcessResults results;
    std::size_t left = 0;
  };
  auto pending = std::make_shared<Pending>();
  std::vector<std::pair<const Process*, OutputPump::StreamId>> work;
  for (const Process* p : *processes) {
    auto out = supervisor_.log_stream(*p, false);
    auto err = supervisor_.log_stream(*p, true);
    if (out) work.emplace_back(p, *out);
    if (err && (!out || *err != *out)) work.emplace_back(p, *err);
    pending->results.push_back({p->namespec(), std::nullopt, std::nullopt});
  }
  pending->left = work.size();
  if (work.empty()) return reply(encode_ok(id, encode_results(pending->results)));
  for (const auto& [p, sid] : work) {
    supervisor_.pump().clear(sid, [pending, id, reply, name = p->namespec()](Result<void> r) {
      if (!r) {
        for (auto& result : pending->results) {
          if (result.name == name) result.error = make_error(ErrorCode::Io, r.error().message);
        }
      }
      if (--pending->left == 0) reply(encode_ok(id, encode_results(pending->results)));
    });
  }
}

void RequestHandler::do_maintail(const Request& request, const Targets&, Reply reply) {
  const Json id = request.id;
  auto args = decode_maintail_args(request.args);
  if (!args) return reply(encode_error(id, args.error()));
  // The running config's log_file is the one in use: a reload keeps it until a restart.
  const std::filesystem::path& log_file = daemon_.running_config().daemon.log_file;
  if (log_file == "-") {
    return reply(encode_error(id, make_error(ErrorCode::Failed, "konnectd logs to stderr (log_file = \"-\")")));
  }
  const bool follow = args->follow;
  const std::string path = log_file.string();
  DaemonControl& daemon = daemon_;
  if (args->offset) {  // as tail's
    return supervisor_.pump().read_file_range(path, *args->offset, args->bytes > 0 ? args->bytes : kMaxTailBytes,
                                              [id, reply, path](Result<std::string> data) {
                                                if (!data) return reply(encode_error(id, data.error()));
                                                reply(encode_ok(id, {{"path", path}, {"data", *data}}));
                                              });
  }
  const std::size_t lines = args->bytes > 0 ? SIZE_MAX : args->lines;
  const std::size_t max_bytes = args->bytes > 0 ? args->bytes : kMaxTailBytes;
  supervisor_.pump().tail_file(path, lines, max_bytes, [id, reply, path, follow, &daemon](Result<std::string> data) {
    if (!data) return reply(encode_error(id, data.error()));
    Json first = {{"path", path}, {"data", *data}};
    if (!follow) return reply(encode_ok(id, first));
    first["more"] = true;
    if (!reply.stream(encode_ok(id, first))) return;
    // Lines logged between the read and this point may be missed or repeated once: the daemon
    // log is written by spdlog's thread, not by the pump.
    daemon.follow_daemon_log([id, reply](const std::string& line) {
      return reply.stream(encode_ok(id, {{"data", line}, {"more", true}}));
    });
  });
}

// supervisord's clearLog: konnectd's own log starts again (its backups stay).
void RequestHandler::do_mainclear(const Request& request, const Targets&, Reply reply) {
  const DaemonConfig& config = daemon_.running_config().daemon;
  if (auto r = clear_daemon_log(config); !r) return reply(encode_error(request.id, r.error()));
  reply(encode_ok(request.id, {{"path", config.log_file.string()}}));
}

}  // namespace konnect
