#pragma once
// Dispatches one decoded request to the Supervisor and produces exactly one answer line
// (docs/protocol.md). Owns nothing; a Connection only moves bytes and hands lines here.

#include "common/config/config.hpp"
#include "common/protocol/protocol.hpp"
#include "daemon/control/access_policy.hpp"
#include "daemon/control/config_commands.hpp"

#include <filesystem>
#include <functional>
#include <vector>
#include <string>

namespace konnect {

class Supervisor;

// How a request is answered: once (reply(line)), or, for tail -f, as a stream of answer
// lines (stream(line) returns false once the client is gone; the stream never ends on its
// own). Copies share the same connection.
class Responder {
 public:
  using Send = std::function<bool(std::string line, bool more)>;
  Responder() = default;
  explicit Responder(Send send) : send_(std::move(send)) {}
  void operator()(std::string line) const { send_(std::move(line), false); }
  bool stream(std::string line) const { return send_(std::move(line), true); }

 private:
  Send send_;
};

class RequestHandler {
 public:
  // The answer line, '\n'-terminated. May be called later (start/stop wait for the action).
  using Reply = Responder;

  // What the daemon itself provides.
  struct DaemonHooks {
    std::function<void()> request_shutdown;
    std::function<void(std::function<void(const std::vector<Error>&)>)> reopen_logs;
    std::filesystem::path daemon_log_file;  // "-": stderr, nothing to tail
    // reread, reload, avail, add, remove.
    ConfigCommands::Hooks config;
    // maintail -f: on_line gets every daemon log line until it returns false.
    std::function<void(std::function<bool(const std::string&)> on_line)> follow_daemon_log;
  };

  RequestHandler(Supervisor& supervisor, DaemonHooks hooks);

  // Handles one raw line: parses, checks what `access` allows (PERMISSION_DENIED
  // otherwise), dispatches, and calls reply exactly once.
  void handle_line(std::string_view line, Access access, Reply reply);

 private:
  void dispatch(const Request& request, Reply reply);
  void do_tail(const Request& request, Reply reply);
  void do_clear(const Request& request, Reply reply);
  void do_maintail(const Request& request, Reply reply);

  Supervisor& supervisor_;
  DaemonHooks hooks_;
  ConfigCommands config_commands_;
};

}  // namespace konnect
