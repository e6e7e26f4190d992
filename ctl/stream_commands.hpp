#pragma once
// The commands whose answer is a stream (docs/protocol.md): tail and maintail (with -f),
// events and wait. Their argument builders and renderers, for the table in commands.cpp.
// Pure: no sockets.

#include "ctl/commands.hpp"

#include <string>
#include <vector>

namespace konnect::ctl {

// tail [-f] [-n LINES] NAME [stdout|stderr]; maintail [-f] [-n LINES]
Result<Json> build_tail(const Command& self, const std::vector<std::string>& args);
Result<Json> build_maintail(const Command& self, const std::vector<std::string>& args);
Outcome render_data(const Json& result);

// events [TARGET...]: one line per state change,
//   2026-12-03T12:40:56.123Z web RUNNING -> EXITED pid 4242 (exit status 3)
// or with --json the event object ({"time","name","group","from","to","pid","reason",...}).
Result<Json> build_events(const Command& self, const std::vector<std::string>& args);
Outcome render_events(const Json& result);
std::string render_event_piece(const Json& result, bool json);

// wait [--timeout DUR] [--state STATE] TARGET...: prints "NAME: STATE" per target once they
// are all there; the state changes on the way print only with --json.
Result<Json> build_wait(const Command& self, const std::vector<std::string>& args);
Outcome render_wait(const Json& result);
std::string render_wait_piece(const Json& result, bool json);

}  // namespace konnect::ctl
