#pragma once
// Dispatches one decoded request to the Supervisor and produces exactly one answer line
// (docs/protocol.md). Owns nothing; a Connection only moves bytes and hands lines here.

#include "common/protocol.hpp"

#include <filesystem>
#include <functional>
#include <vector>
#include <string>

namespace konnect {

class Supervisor;

class RequestHandler {
 public:
  // The answer line, '\n'-terminated. May be called later (start/stop wait for the action).
  using Reply = std::function<void(std::string line)>;

  // What the daemon itself provides.
  struct DaemonHooks {
    std::function<void()> request_shutdown;
    std::function<void(std::function<void(const std::vector<Error>&)>)> reopen_logs;
    std::filesystem::path daemon_log_file;  // "-": stderr, nothing to tail
  };

  RequestHandler(Supervisor& supervisor, DaemonHooks hooks);

  // Handles one raw line: parses, dispatches, and calls reply exactly once.
  void handle_line(std::string_view line, Reply reply);

 private:
  void dispatch(const Request& request, Reply reply);
  void do_tail(const Request& request, Reply reply);
  void do_clear(const Request& request, Reply reply);
  void do_maintail(const Request& request, Reply reply);

  Supervisor& supervisor_;
  DaemonHooks hooks_;
};

}  // namespace konnect
