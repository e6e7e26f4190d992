#pragma once
// Dispatches one decoded request to the Supervisor and produces exactly one answer line
// (docs/protocol.md). Owns nothing; a Connection only moves bytes and hands lines here.

#include "common/protocol.hpp"

#include <functional>
#include <string>

namespace konnect {

class Supervisor;

class RequestHandler {
 public:
  // The answer line, '\n'-terminated. May be called later (start/stop wait for the action).
  using Reply = std::function<void(std::string line)>;

  RequestHandler(Supervisor& supervisor, std::function<void()> request_shutdown);

  // Handles one raw line: parses, dispatches, and calls reply exactly once.
  void handle_line(std::string_view line, Reply reply);

 private:
  void dispatch(const Request& request, Reply reply);

  Supervisor& supervisor_;
  std::function<void()> request_shutdown_;
};

}  // namespace konnect
