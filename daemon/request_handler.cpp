#include "daemon/request_handler.hpp"

#include "common/signal_names.hpp"
#include "daemon/supervisor.hpp"
#include "version.hpp"

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

RequestHandler::RequestHandler(Supervisor& supervisor, std::function<void()> request_shutdown)
    : supervisor_(supervisor), request_shutdown_(std::move(request_shutdown)) {}

void RequestHandler::handle_line(std::string_view line, Reply reply) {
  Json id;
  auto request = parse_request(line, &id);
  if (!request) {
    reply(encode_error(id, request.error()));
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

  if (cmd == "status") {
    if (targets->empty()) targets->push_back("all");
    auto processes = supervisor_.resolve(*targets);
    if (!processes) return fail(processes.error());
    Json list = Json::array();
    for (const Process* p : *processes) list.push_back(to_json(p->info()));
    return answer({{"processes", std::move(list)}});
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
    Json failures = Json::array();
    for (const auto& e : supervisor_.reopen_logs()) failures.push_back(e.to_string());
    if (!failures.empty()) return fail(make_error(ErrorCode::Io, failures.dump()));
    return answer({{"message", "Reopened log files"}});
  }

  if (cmd == "shutdown") {
    answer({{"message", "Shut down"}});
    request_shutdown_();
    return;
  }

  fail(make_error(ErrorCode::UnknownCommand, "unknown command: " + cmd));
}

}  // namespace konnect
