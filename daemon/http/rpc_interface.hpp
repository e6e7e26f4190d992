#pragma once
// supervisord's XML-RPC interface at /RPC2 (its rpcinterface.py, API version 3.0), so that
// Debian's supervisorctl and every client written for supervisord work against konnectd.
// Each method becomes one or more requests of the control protocol, sent through the
// RequestHandler with the client's access, and their answers become supervisord's values and
// fault codes. Only the methods of the table exist (system.listMethods lists them): there is
// no way to reach anything else (supervisord's CVE-2017-11610 was a method lookup that
// walked into Python's objects).
//
// The methods live in rpc_process_methods.cpp (processes) and rpc_daemon_methods.cpp
// (konnectd, config and logs); this file has the table, system.* and the helpers.

#include "common/protocol/protocol.hpp"
#include "common/xmlrpc/xmlrpc.hpp"
#include "daemon/control/access_policy.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace konnect {

class RequestHandler;
class DaemonControl;
class Supervisor;

// supervisord's xmlrpc.Faults.
namespace fault {
inline constexpr int kUnknownMethod = 1;
inline constexpr int kIncorrectParameters = 2;
inline constexpr int kBadArguments = 3;
inline constexpr int kSignatureUnsupported = 4;
inline constexpr int kShutdownState = 6;
inline constexpr int kBadName = 10;
inline constexpr int kBadSignal = 11;
inline constexpr int kNoFile = 20;
inline constexpr int kNotExecutable = 21;
inline constexpr int kFailed = 30;
inline constexpr int kAbnormalTermination = 40;
inline constexpr int kSpawnError = 50;
inline constexpr int kAlreadyStarted = 60;
inline constexpr int kNotRunning = 70;
inline constexpr int kSuccess = 80;
inline constexpr int kAlreadyAdded = 90;
inline constexpr int kStillRunning = 91;
inline constexpr int kCantReread = 92;
// "BAD_NAME", as supervisord's faultString begins.
std::string_view name(int code);
}  // namespace fault

class RpcInterface {
 public:
  RpcInterface(RequestHandler& handler, Supervisor& supervisor, DaemonControl& daemon);

  // One /RPC2 body in, its methodResponse out (a fault for anything wrong). done is called
  // exactly once, maybe later.
  void call(std::string_view body, Access access, std::function<void(std::string xml)> done);

  // What a method gets: its parameters, and one way to answer, a value or a fault.
  struct Call {
    xmlrpc::Array params;
    Access access = Access::None;
    std::shared_ptr<std::function<void(xmlrpc::Value)>> answer;
    std::shared_ptr<std::function<void(int code, std::string extra)>> fail;
    void reply(xmlrpc::Value v) const { (*answer)(std::move(v)); }
    void fault(int code, std::string extra = {}) const { (*fail)(code, std::move(extra)); }
  };
  using Method = void (RpcInterface::*)(const Call&);

  // Sends one control-protocol request with the call's access; done gets the answer.
  void request(const Call& call, std::string cmd, Json args, std::function<void(const Json& answer)> done);
  // A control-protocol error answer as supervisord's fault.
  static void fault_from(const Call& call, const Json& answer, const std::string& name = {});
  // supervisord's readFile(offset, length) as tail's and maintail's "bytes" and "offset": a
  // negative offset -N with length 0 is the last N bytes; an offset from 0 with a length
  // from 0 is the bytes from there on (0: to the end). Each at most 1 MiB. Anything else
  // answers BAD_ARGUMENTS and is nullopt.
  static std::optional<Json> byte_range(const Call& call, std::int64_t offset, std::int64_t length);

 private:
  void dispatch(const std::string& method, Call call);

  // system.*
  void list_methods(const Call& call);
  void method_help(const Call& call);
  void method_signature(const Call& call);
  void multicall(const Call& call);
  // supervisor.*: konnectd (rpc_daemon_methods.cpp)
  void get_api_version(const Call& call);
  void get_supervisor_version(const Call& call);
  void get_identification(const Call& call);
  void get_state(const Call& call);
  void get_pid(const Call& call);
  void shutdown(const Call& call);
  void restart(const Call& call);
  void reload_config(const Call& call);
  void add_process_group(const Call& call);
  void remove_process_group(const Call& call);
  void get_all_config_info(const Call& call);
  void read_log(const Call& call);
  void clear_log(const Call& call);
  // supervisor.*: processes (rpc_process_methods.cpp)
  void get_process_info(const Call& call);
  void get_all_process_info(const Call& call);
  void start_process(const Call& call);
  void start_process_group(const Call& call);
  void start_all_processes(const Call& call);
  void stop_process(const Call& call);
  void stop_process_group(const Call& call);
  void stop_all_processes(const Call& call);
  void signal_process(const Call& call);
  void signal_process_group(const Call& call);
  void signal_all_processes(const Call& call);
  void read_process_stdout_log(const Call& call);
  void read_process_stderr_log(const Call& call);
  void tail_process_stdout_log(const Call& call);
  void tail_process_stderr_log(const Call& call);
  void clear_process_logs(const Call& call);
  void clear_all_process_logs(const Call& call);
  void send_process_stdin(const Call& call);

  // Shared by the process methods.
  void act_on_one(const Call& call, std::string cmd, bool starting);
  void act_on_many(const Call& call, std::string cmd, Json targets, bool starting);
  void signal_many(const Call& call, Json targets, const Json& sig);
  void read_process_log(const Call& call, bool stderr_stream);
  void tail_process_log(const Call& call, bool stderr_stream);
  // The stdout and stderr log files of the process namespec names ("" when discarded).
  std::pair<std::string, std::string> log_paths(const std::string& namespec) const;

  struct Entry {
    const char* name;
    Method method;
    const char* signature;  // supervisord's: return type, then each parameter's
    const char* help;
  };
  static const Entry kMethods[];
  static const Entry* find(std::string_view name);

  RequestHandler& handler_;
  Supervisor& supervisor_;
  DaemonControl& daemon_;
};

// Reads parameter i as T, or answers INCORRECT_PARAMETERS (supervisord's word for a missing
// or mistyped argument) and returns nullptr.
template <class T>
const T* param(const RpcInterface::Call& call, std::size_t i, const char* what) {
  const T* v = i < call.params.size() ? call.params[i].get<T>() : nullptr;
  if (!v) call.fault(fault::kIncorrectParameters, what);
  return v;
}

}  // namespace konnect
