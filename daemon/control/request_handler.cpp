#include "daemon/control/request_handler.hpp"

#include "common/signal_names.hpp"
#include "daemon/supervision/supervisor.hpp"
#include "version.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <array>
#include <cstdint>
#include <optional>

namespace konnect {
namespace {

Error bad_arguments(std::string message) { return make_error(ErrorCode::BadArguments, std::move(message)); }

// args.targets as a list of strings; missing is an empty list.
Result<std::vector<std::string>> read_targets(const Json& args) {
  std::vector<std::string> targets;
  auto it = args.find("targets");
  if (it == args.end() || it->is_null()) return targets;
  if (!it->is_array()) return bad_arguments("\"targets\" must be a list of strings");
  for (const auto& t : *it) {
    if (!t.is_string() || t.get_ref<const std::string&>().empty()) {
      return bad_arguments("\"targets\" must be a list of non-empty strings");
    }
    targets.push_back(t.get<std::string>());
  }
  return targets;
}

}  // namespace

RequestHandler::RequestHandler(Supervisor& supervisor, DaemonHooks hooks)
    : supervisor_(supervisor), hooks_(std::move(hooks)), config_commands_(hooks_.config) {}

void RequestHandler::handle_line(std::string_view line, Access access, Reply reply) {
  Json id;
  auto request = parse_request(line, &id);
  if (!request) {
    reply(encode_error(id, request.error()));
    return;
  }
  if (access == Access::None ||
      (access == Access::ReadOnly && !AccessPolicy::is_read_only_command(request->cmd))) {
    const std::string why = access == Access::None
                                ? "permission denied: only root and members of [konnectd] socket_group may use konnectd"
                                : "permission denied: members of socket_readonly_group may only ask status, pid and version";
    reply(encode_error(id, make_error(ErrorCode::PermissionDenied, why)));
    return;
  }
  dispatch(*request, std::move(reply));
}

void RequestHandler::dispatch(const Request& request, Reply reply) {
  const Json id = request.id;
  auto fail = [&](const Error& e) { reply(encode_error(id, e)); };
  auto answer = [&](const Json& result) { reply(encode_ok(id, result)); };
  const std::string& cmd = request.cmd;

  if (cmd == "version") return answer({{"version", kVersion}});

  auto targets = read_targets(request.args);
  if (!targets) return fail(targets.error());
  if (config_commands_.handle(request, *targets, reply)) return;

  if (cmd == "status") {
    if (targets->empty()) targets->push_back("all");
    auto processes = supervisor_.resolve(*targets);
    if (!processes) return fail(processes.error());
    // Written as text, not built as a Json tree: at a thousand programs the tree and its
    // dump were most of the answer's time (docs/benchmarks.md).
    std::string result = "{\"processes\":[";
    result.reserve(256 * processes->size() + 16);
    for (const Process* p : *processes) {
      if (result.back() != '[') result += ',';
      append_json(result, p->info());
    }
    result += "]}";
    return reply(encode_ok_text(id, result));
  }

  if (cmd == "pid") {
    if (targets->empty()) return answer({{"pid", ::getpid()}});
    auto processes = supervisor_.resolve(*targets);
    if (!processes) return fail(processes.error());
    Json list = Json::array();
    for (const Process* p : *processes) list.push_back({{"name", p->namespec()}, {"pid", p->pid()}});
    return answer({{"processes", std::move(list)}});
  }

  static constexpr std::array<std::pair<std::string_view, Operation::Kind>, 3> kOperations{{
      {"start", Operation::Kind::Start},
      {"stop", Operation::Kind::Stop},
      {"restart", Operation::Kind::Restart},
  }};
  for (const auto& [name, kind] : kOperations) {
    if (cmd != name) continue;
    if (targets->empty()) return fail(bad_arguments(std::string(name) + " needs \"targets\""));
    if (supervisor_.is_shutting_down()) {
      return fail(make_error(ErrorCode::ShuttingDown, "konnectd is shutting down"));
    }
    auto processes = supervisor_.resolve(*targets);
    if (!processes) return fail(processes.error());
    supervisor_.run_operation(kind, std::move(*processes),
                              [id, reply](Json result) { reply(encode_ok(id, result)); });
    return;
  }

  if (cmd == "signal") {
    if (targets->empty()) return fail(bad_arguments("signal needs \"targets\""));
    auto sig = request.args.find("signal");
    std::optional<int> signo;
    if (sig != request.args.end() && sig->is_string()) signo = parse_signal(sig->get<std::string>());
    if (sig != request.args.end() && sig->is_number_integer()) {
      const auto n = sig->get<std::int64_t>();
      if (n > 0 && n < 65) signo = parse_signal(std::to_string(n));
    }
    if (!signo) return fail(bad_arguments("\"signal\" must name a signal, such as \"HUP\" or 1"));
    auto processes = supervisor_.resolve(*targets);
    if (!processes) return fail(processes.error());
    Json list = Json::array();
    for (Process* p : *processes) {
      Json item = {{"name", p->namespec()}, {"ok", true}, {"state", to_string(p->state())}};
      if (auto r = p->signal(*signo); !r) {
        item["ok"] = false;
        item["error"] = {{"code", std::string(to_string(ErrorCode::Failed))}, {"message", r.error().message}};
      }
      list.push_back(std::move(item));
    }
    return answer({{"processes", std::move(list)}});
  }

  if (cmd == "logreopen") {
    hooks_.reopen_logs([id, reply](const std::vector<Error>& errors) {
      if (errors.empty()) {
        reply(encode_ok(id, {{"message", "Reopened log files"}}));
        return;
      }
      std::string text;
      for (const auto& e : errors) text += (text.empty() ? "" : "; ") + e.to_string();
      reply(encode_error(id, make_error(ErrorCode::Io, text)));
    });
    return;
  }
  if (cmd == "tail") return do_tail(request, std::move(reply));
  if (cmd == "clear") return do_clear(request, std::move(reply));
  if (cmd == "maintail") return do_maintail(request, std::move(reply));

  if (cmd == "shutdown") {
    answer({{"message", "Shut down"}});
    hooks_.request_shutdown();
    return;
  }

  fail(make_error(ErrorCode::UnknownCommand, "unknown command: " + cmd));
}

namespace {

constexpr std::size_t kMaxTailBytes = 1024 * 1024;

// args[key] as a bool (false when missing); a wrong type is an error, never an exception.
Result<bool> read_flag(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return false;
  if (!it->is_boolean()) return bad_arguments(std::string("\"") + key + "\" must be true or false");
  return it->get<bool>();
}

// args.lines: a positive number of lines, 10 when missing.
Result<std::size_t> read_lines(const Json& args) {
  auto it = args.find("lines");
  if (it == args.end() || it->is_null()) return std::size_t{10};
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 1000000) {
    return bad_arguments("\"lines\" must be a number of lines from 0 to 1000000");
  }
  return static_cast<std::size_t>(it->get<std::int64_t>());
}

}  // namespace

void RequestHandler::do_tail(const Request& request, Reply reply) {
  const Json id = request.id;
  auto fail = [&](const Error& e) { reply(encode_error(id, e)); };
  auto name = request.args.find("name");
  if (name == request.args.end() || !name->is_string()) return fail(bad_arguments("tail needs \"name\""));
  std::string stream = "stdout";
  if (auto it = request.args.find("stream"); it != request.args.end() && !it->is_null()) {
    if (!it->is_string()) return fail(bad_arguments("\"stream\" is stdout or stderr"));
    stream = it->get<std::string>();
  }
  if (stream != "stdout" && stream != "stderr") return fail(bad_arguments("\"stream\" is stdout or stderr"));
  auto follow_arg = read_flag(request.args, "follow");
  if (!follow_arg) return fail(follow_arg.error());
  auto lines = read_lines(request.args);
  if (!lines) return fail(lines.error());
  auto processes = supervisor_.resolve({name->get<std::string>()});
  if (!processes) return fail(processes.error());
  if (processes->size() != 1) {
    return fail(bad_arguments(name->get<std::string>() + " names " + std::to_string(processes->size()) +
                              " processes; tail one of them as GROUP:NAME"));
  }
  const Process& p = *processes->front();
  auto sid = supervisor_.log_stream(p, stream == "stderr");
  if (!sid) return fail(sid.error());
  const bool follow = *follow_arg;
  const std::string path = supervisor_.pump().path_of(*sid).string();
  Supervisor& supervisor = supervisor_;
  supervisor_.pump().tail_file(
      path, *lines, kMaxTailBytes,
      [id, reply, path, follow, sid = *sid, &supervisor, namespec = p.namespec()](Result<std::string> data) {
        if (!data) {
          reply(encode_error(id, data.error()));
          return;
        }
        Json first = {{"name", namespec}, {"path", path}, {"data", *data}};
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
      follow ? std::optional<OutputPump::StreamId>(*sid) : std::nullopt);
}

void RequestHandler::do_clear(const Request& request, Reply reply) {
  const Json id = request.id;
  auto targets = read_targets(request.args);
  if (!targets) return reply(encode_error(id, targets.error()));
  if (targets->empty()) return reply(encode_error(id, bad_arguments("clear needs \"targets\"")));
  auto processes = supervisor_.resolve(*targets);
  if (!processes) return reply(encode_error(id, processes.error()));
  // One truncate per stream on the pump thread; answer when the last is done.
  struct Pending {
    Json list = Json::array();
    std::size_t left = 0;
  };
  auto pending = std::make_shared<Pending>();
  std::vector<std::pair<const Process*, OutputPump::StreamId>> work;
  for (const Process* p : *processes) {
    auto out = supervisor_.log_stream(*p, false);
    auto err = supervisor_.log_stream(*p, true);
    if (out) work.emplace_back(p, *out);
    if (err && (!out || *err != *out)) work.emplace_back(p, *err);
    pending->list.push_back({{"name", p->namespec()}, {"ok", true}});
  }
  pending->left = work.size();
  if (work.empty()) return reply(encode_ok(id, {{"processes", pending->list}}));
  for (const auto& [p, sid] : work) {
    supervisor_.pump().clear(sid, [pending, id, reply, name = p->namespec()](Result<void> r) {
      if (!r) {
        for (auto& item : pending->list) {
          if (item["name"] == name) {
            item["ok"] = false;
            item["error"] = {{"code", std::string(to_string(ErrorCode::Io))}, {"message", r.error().message}};
          }
        }
      }
      if (--pending->left == 0) reply(encode_ok(id, {{"processes", pending->list}}));
    });
  }
}

void RequestHandler::do_maintail(const Request& request, Reply reply) {
  const Json id = request.id;
  auto lines = read_lines(request.args);
  if (!lines) return reply(encode_error(id, lines.error()));
  if (hooks_.daemon_log_file == "-") {
    return reply(encode_error(id, make_error(ErrorCode::Failed, "konnectd logs to stderr (log_file = \"-\")")));
  }
  auto follow_arg = read_flag(request.args, "follow");
  if (!follow_arg) return reply(encode_error(id, follow_arg.error()));
  const bool follow = *follow_arg;
  const std::string path = hooks_.daemon_log_file.string();
  auto& hooks = hooks_;
  supervisor_.pump().tail_file(path, *lines, kMaxTailBytes, [id, reply, path, follow, &hooks](Result<std::string> data) {
    if (!data) return reply(encode_error(id, data.error()));
    Json first = {{"path", path}, {"data", *data}};
    if (!follow) return reply(encode_ok(id, first));
    first["more"] = true;
    if (!reply.stream(encode_ok(id, first))) return;
    // Lines logged between the read and this point may be missed or repeated once: the daemon
    // log is written by spdlog's thread, not by the pump.
    hooks.follow_daemon_log([id, reply](const std::string& line) {
      return reply.stream(encode_ok(id, {{"data", line}, {"more", true}}));
    });
  });
}

}  // namespace konnect
