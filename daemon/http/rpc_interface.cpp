#include "daemon/http/rpc_interface.hpp"

#include "daemon/control/request_handler.hpp"

#include <spdlog/spdlog.h>

namespace konnect {

namespace fault {
std::string_view name(int code) {
  switch (code) {
    case kUnknownMethod: return "UNKNOWN_METHOD";
    case kIncorrectParameters: return "INCORRECT_PARAMETERS";
    case kBadArguments: return "BAD_ARGUMENTS";
    case kSignatureUnsupported: return "SIGNATURE_UNSUPPORTED";
    case kShutdownState: return "SHUTDOWN_STATE";
    case kBadName: return "BAD_NAME";
    case kBadSignal: return "BAD_SIGNAL";
    case kNoFile: return "NO_FILE";
    case kNotExecutable: return "NOT_EXECUTABLE";
    case kFailed: return "FAILED";
    case kAbnormalTermination: return "ABNORMAL_TERMINATION";
    case kSpawnError: return "SPAWN_ERROR";
    case kAlreadyStarted: return "ALREADY_STARTED";
    case kNotRunning: return "NOT_RUNNING";
    case kSuccess: return "SUCCESS";
    case kAlreadyAdded: return "ALREADY_ADDED";
    case kStillRunning: return "STILL_RUNNING";
    case kCantReread: return "CANT_REREAD";
  }
  return "FAILED";
}
}  // namespace fault

using xmlrpc::Array;
using xmlrpc::Struct;
using xmlrpc::Value;

const RpcInterface::Entry RpcInterface::kMethods[] = {
    {"system.listMethods", &RpcInterface::list_methods, "array", "Return an array listing the available method names"},
    {"system.methodHelp", &RpcInterface::method_help, "string string", "Return a string showing the method's documentation"},
    {"system.methodSignature", &RpcInterface::method_signature, "array string",
     "Return an array describing the method signature in the form [rtype, ptype, ptype...]"},
    {"system.multicall", &RpcInterface::multicall, "array array",
     "Process an array of calls, and return an array of results: [value] or a fault struct each"},
    {"supervisor.getAPIVersion", &RpcInterface::get_api_version, "string", "Return the version of the RPC API used by supervisord"},
    {"supervisor.getVersion", &RpcInterface::get_api_version, "string", "Return the version of the RPC API (deprecated: getAPIVersion)"},
    {"supervisor.getSupervisorVersion", &RpcInterface::get_supervisor_version, "string", "Return the version of konnectd"},
    {"supervisor.getIdentification", &RpcInterface::get_identification, "string", "Return the identifying string of the supervisor"},
    {"supervisor.getState", &RpcInterface::get_state, "struct", "Return the current state of the supervisor as a struct"},
    {"supervisor.getPID", &RpcInterface::get_pid, "int", "Return the PID of konnectd"},
    {"supervisor.readLog", &RpcInterface::read_log, "string int int", "Read length bytes from the main log starting at offset"},
    {"supervisor.readMainLog", &RpcInterface::read_log, "string int int", "Read length bytes from the main log (deprecated: readLog)"},
    {"supervisor.clearLog", &RpcInterface::clear_log, "boolean", "Clear the main log"},
    {"supervisor.shutdown", &RpcInterface::shutdown, "boolean", "Shut down konnectd and every process"},
    {"supervisor.restart", &RpcInterface::restart, "boolean",
     "Apply the config on disk (konnectd reload: only what changed is restarted)"},
    {"supervisor.reloadConfig", &RpcInterface::reload_config, "array", "Reload the configuration: [[added, changed, removed]]"},
    {"supervisor.addProcessGroup", &RpcInterface::add_process_group, "boolean string", "Start a process group added to the config"},
    {"supervisor.removeProcessGroup", &RpcInterface::remove_process_group, "boolean string",
     "Remove a stopped process group from the active configuration"},
    {"supervisor.getAllConfigInfo", &RpcInterface::get_all_config_info, "array", "Get info about all available process configurations"},
    {"supervisor.getProcessInfo", &RpcInterface::get_process_info, "struct string", "Get info about a process named name"},
    {"supervisor.getAllProcessInfo", &RpcInterface::get_all_process_info, "array", "Get info about all processes"},
    {"supervisor.startProcess", &RpcInterface::start_process, "boolean string boolean", "Start a process"},
    {"supervisor.startProcessGroup", &RpcInterface::start_process_group, "array string boolean",
     "Start all processes in the group named name"},
    {"supervisor.startAllProcesses", &RpcInterface::start_all_processes, "array boolean", "Start all processes listed in the config"},
    {"supervisor.stopProcess", &RpcInterface::stop_process, "boolean string boolean", "Stop a process named by name"},
    {"supervisor.stopProcessGroup", &RpcInterface::stop_process_group, "array string boolean",
     "Stop all processes in the process group named name"},
    {"supervisor.stopAllProcesses", &RpcInterface::stop_all_processes, "array boolean", "Stop all processes in the process list"},
    {"supervisor.signalProcess", &RpcInterface::signal_process, "boolean string string",
     "Send an arbitrary UNIX signal to the process named by name"},
    {"supervisor.signalProcessGroup", &RpcInterface::signal_process_group, "array string string",
     "Send a signal to all processes in the group named name"},
    {"supervisor.signalAllProcesses", &RpcInterface::signal_all_processes, "array string",
     "Send a signal to all processes in the process list"},
    {"supervisor.sendProcessStdin", &RpcInterface::send_process_stdin, "boolean string string",
     "Send a string of chars to the stdin of the process name"},
    {"supervisor.readProcessStdoutLog", &RpcInterface::read_process_stdout_log, "string string int int",
     "Read length bytes from name's stdout log starting at offset"},
    {"supervisor.readProcessLog", &RpcInterface::read_process_stdout_log, "string string int int",
     "Read length bytes from name's stdout log (deprecated: readProcessStdoutLog)"},
    {"supervisor.readProcessStderrLog", &RpcInterface::read_process_stderr_log, "string string int int",
     "Read length bytes from name's stderr log starting at offset"},
    {"supervisor.tailProcessStdoutLog", &RpcInterface::tail_process_stdout_log, "array string int int",
     "Provides a more efficient way to tail the (stdout) log than readProcessStdoutLog"},
    {"supervisor.tailProcessLog", &RpcInterface::tail_process_stdout_log, "array string int int",
     "Tail the stdout log (deprecated: tailProcessStdoutLog)"},
    {"supervisor.tailProcessStderrLog", &RpcInterface::tail_process_stderr_log, "array string int int",
     "Provides a more efficient way to tail the (stderr) log than readProcessStderrLog"},
    {"supervisor.clearProcessLogs", &RpcInterface::clear_process_logs, "boolean string",
     "Clear the stdout and stderr logs for the named process and reopen them"},
    {"supervisor.clearProcessLog", &RpcInterface::clear_process_logs, "boolean string", "Clear a process's logs (deprecated)"},
    {"supervisor.clearAllProcessLogs", &RpcInterface::clear_all_process_logs, "array", "Clear all process log files"},
};

RpcInterface::RpcInterface(RequestHandler& handler, Supervisor& supervisor, DaemonControl& daemon)
    : handler_(handler), supervisor_(supervisor), daemon_(daemon) {}

const RpcInterface::Entry* RpcInterface::find(std::string_view name) {
  for (const Entry& e : kMethods) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

void RpcInterface::call(std::string_view body, Access access, std::function<void(std::string xml)> done) {
  auto parsed = xmlrpc::parse_method_call(body);
  if (!parsed) {
    // supervisord answers a body it cannot parse with an HTTP 500; a fault tells the client why.
    return done(xmlrpc::write_fault(fault::kIncorrectParameters, "INCORRECT_PARAMETERS: " + parsed.error().message));
  }
  auto shared_done = std::make_shared<std::function<void(std::string)>>(std::move(done));
  Call call;
  call.params = std::move(parsed->params);
  call.access = access;
  call.answer = std::make_shared<std::function<void(Value)>>(
      [shared_done](Value v) { (*shared_done)(xmlrpc::write_response(v)); });
  call.fail = std::make_shared<std::function<void(int, std::string)>>([shared_done](int code, std::string extra) {
    std::string text(fault::name(code));
    if (!extra.empty()) text += ": " + extra;
    (*shared_done)(xmlrpc::write_fault(code, text));
  });
  dispatch(parsed->method, std::move(call));
}

void RpcInterface::dispatch(const std::string& method, Call call) {
  const Entry* entry = find(method);
  if (!entry) return call.fault(fault::kUnknownMethod);
  (this->*entry->method)(call);
}

void RpcInterface::request(const Call& call, std::string cmd, Json args, std::function<void(const Json&)> done) {
  const Json line = {{"id", 0}, {"cmd", std::move(cmd)}, {"args", std::move(args)}};
  // The answer comes once (none of these requests streams).
  auto once = std::make_shared<std::function<void(const Json&)>>(std::move(done));
  handler_.handle_line(line.dump(), call.access, Responder([once](std::string answer, bool more) {
                         if (!*once || more) return true;
                         auto done = std::move(*once);
                         *once = nullptr;
                         done(Json::parse(answer, nullptr, false));
                         return true;
                       }));
}

std::optional<Json> RpcInterface::byte_range(const Call& call, std::int64_t offset, std::int64_t length) {
  constexpr std::int64_t kMax = 1 << 20;
  if (offset < 0) {
    if (length != 0) {
      call.fault(fault::kBadArguments, "a negative offset reads the end of the log: its length must be 0");
      return std::nullopt;
    }
    return Json{{"bytes", offset < -kMax ? kMax : -offset}};  // (and no -INT64_MIN)
  }
  if (length < 0) {
    call.fault(fault::kBadArguments, "the length must not be negative");
    return std::nullopt;
  }
  return Json{{"offset", offset}, {"bytes", std::min(length, kMax)}};
}

void RpcInterface::fault_from(const Call& call, const Json& answer, const std::string& name) {
  const Json& error = answer.is_object() && answer.contains("error") ? answer["error"] : Json::object();
  const std::string code = error.value("code", std::string("FAILED"));
  const std::string message = error.value("message", std::string());
  if (code == "NO_SUCH_PROCESS") return call.fault(fault::kBadName, name.empty() ? message : name);
  if (code == "SHUTTING_DOWN") return call.fault(fault::kShutdownState);
  if (code == "BAD_ARGUMENTS") return call.fault(fault::kBadArguments, message);
  if (code == "SPAWN_ERROR") return call.fault(fault::kSpawnError, name.empty() ? message : name);
  if (code == "CONFIG_ERROR") return call.fault(fault::kCantReread, message);
  call.fault(fault::kFailed, code == "FAILED" ? message : code + ": " + message);
}

// --- system.* ------------------------------------------------------------------------------

void RpcInterface::list_methods(const Call& call) {
  Array names;
  for (const Entry& e : kMethods) names.emplace_back(e.name);
  call.reply(Value(std::move(names)));
}

void RpcInterface::method_help(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the method's name");
  if (!name) return;
  const Entry* e = find(*name);
  if (!e) return call.fault(fault::kSignatureUnsupported);
  call.reply(Value(e->help));
}

void RpcInterface::method_signature(const Call& call) {
  const auto* name = param<std::string>(call, 0, "the method's name");
  if (!name) return;
  const Entry* e = find(*name);
  if (!e) return call.fault(fault::kSignatureUnsupported);
  Array types;
  std::string_view s = e->signature;
  while (!s.empty()) {
    const auto space = s.find(' ');
    types.emplace_back(std::string(s.substr(0, space)));
    s = space == std::string_view::npos ? std::string_view() : s.substr(space + 1);
  }
  call.reply(Value(Array{Value(std::move(types))}));
}

// Each call in turn (a start waits before the next begins, as in supervisord); each result
// is [value] or the fault struct. A loop, not a recursion: most calls answer at once, and a
// 4 MiB body holds hundreds of thousands of them.
void RpcInterface::multicall(const Call& call) {
  constexpr std::size_t kMaxCalls = 1000;
  const auto* calls = param<Array>(call, 0, "an array of {methodName, params}");
  if (!calls) return;
  if (calls->size() > kMaxCalls) {
    return call.fault(fault::kIncorrectParameters, "at most " + std::to_string(kMaxCalls) + " calls in one multicall");
  }
  struct State {
    Array calls;
    Array results;
    std::size_t next = 0;
    bool dispatching = false;     // a call is being dispatched by the loop below
    bool answered_during = false;  // ... and it answered before dispatch returned
    std::function<void()> run;
  };
  auto state = std::make_shared<State>();
  state->calls = *calls;
  auto answer = call.answer;
  const Access access = call.access;
  // Each answer: kept; then the loop goes on (or, for an answer that came later, is resumed).
  auto answered = [state]() {
    if (state->dispatching) {
      state->answered_during = true;
    } else {
      state->run();
    }
  };
  state->run = [this, state, answer, access, answered] {
    while (state->next < state->calls.size()) {
      const Value& c = state->calls[state->next++];
      const Value* name = c.member("methodName");
      const Value* args = c.member("params");
      const auto* method = name ? name->get<std::string>() : nullptr;
      const auto* params = args ? args->get<Array>() : nullptr;
      Call sub;
      sub.access = access;
      sub.answer = std::make_shared<std::function<void(Value)>>([state, answered](Value v) {
        state->results.emplace_back(Array{std::move(v)});
        answered();
      });
      sub.fail = std::make_shared<std::function<void(int, std::string)>>([state, answered](int code, std::string extra) {
        std::string text(fault::name(code));
        if (!extra.empty()) text += ": " + extra;
        state->results.emplace_back(Struct{{"faultCode", Value(code)}, {"faultString", Value(std::move(text))}});
        answered();
      });
      state->dispatching = true;
      state->answered_during = false;
      if (!method) {
        sub.fault(fault::kIncorrectParameters, "each call is a struct with a string methodName");
      } else if (*method == "system.multicall") {
        sub.fault(fault::kIncorrectParameters, "recursive system.multicall forbidden");
      } else {
        if (params) sub.params = *params;
        dispatch(*method, std::move(sub));
      }
      state->dispatching = false;
      if (!state->answered_during) return;  // it answers later, and resumes the loop then
    }
    auto keep = std::move(state->run);  // breaks the cycle state -> run -> state
    (*answer)(Value(std::move(state->results)));
  };
  state->run();
}

}  // namespace konnect
