#pragma once
// konnectctl's commands as one table: for each, how its arguments become a request and how
// an answer becomes text and an exit code. Adding a command is adding a row (and its two
// functions) in commands.cpp; the runner (konnectctl.cpp) needs no change.
// Pure: no sockets, no files.

#include "common/error.hpp"
#include "common/protocol/protocol.hpp"
#include "ctl/exit_codes.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::ctl {

// What konnectctl prints and how it exits; main() writes `out`, then `err`.
struct Outcome {
  std::string out;
  std::string err;
  int exit_code = kExitOk;
};

struct Command {
  std::string_view name;      // the word on the command line, and the request's `cmd`
  std::string_view synopsis;  // "start TARGET..." (after "konnectctl ")
  std::string_view summary;   // one line for --help
  // The command's arguments -> the request's `args` (an object; empty means omitted). A
  // usage error is ErrorCode::BadArguments whose message is the whole line to print,
  // e.g. "Error: start requires a process name".
  Result<Json> (*build_args)(const Command& self, const std::vector<std::string>& args);
  // Text and exit code for an ok answer's `result`.
  Outcome (*render)(const Json& result);
  // A quicker way to the same Outcome, from the answer's line without a Json tree (status,
  // the command run most). nullopt sends the line down the general way (parse, render).
  std::optional<Outcome> (*render_line)(std::string_view raw_line) = nullptr;
  // Printed before the daemon is asked, in text mode only, even if it cannot be reached.
  std::string (*local_text)() = nullptr;
  // After an ok answer, read until the daemon closes the connection (it does when it exits).
  bool waits_for_close = false;
  // A streamed answer (its pieces have "more": true): the text of each piece, the first
  // answer included; with json, what --json prints for it. Null: "data" in text, the raw
  // line with --json (tail -f).
  std::string (*render_piece)(const Json& result, bool json) = nullptr;
  // The stream ends with a final answer (wait): the runner renders it, and losing the
  // daemon before it is exit 4, not the end of the output.
  bool stream_ends = false;
  // A command that needs no daemon (convert): runs instead of a request; build_args still
  // checks the arguments first.
  Outcome (*run_local)(const std::vector<std::string>& args) = nullptr;
};

std::span<const Command> commands();

// For the argument builders (commands.cpp, stream_commands.cpp). A usage error's message
// is the whole line to print; nlohmann::json converts to anything, so Result<Json> is told
// which side it holds.
inline Error usage_error(std::string line) { return make_error(ErrorCode::BadArguments, std::move(line)); }
inline Result<Json> args_value(Json args) { return Result<Json>(boost::system::in_place_value, std::move(args)); }
inline Result<Json> args_error(Error error) { return Result<Json>(boost::system::in_place_error, std::move(error)); }
inline bool is_option(std::string_view arg) { return arg.size() > 1 && arg[0] == '-'; }
const Command* find_command(std::string_view name);

// The request for `command` with `args`; id 1 (one request per connection).
Result<Request> build_request(const Command& command, const std::vector<std::string>& args);

// What to print for the daemon's answer `response`, parsed from `raw_line`. With `json`,
// stdout gets `raw_line` as received and stderr nothing; the exit code is the same either
// way. local_text() is not included (the runner prints it even without an answer).
Outcome render_response(const Command& command, const Response& response, std::string_view raw_line, bool json);
// render_response() of the answer `raw_line` by the command's render_line, when it has one
// and it takes the line; else nullopt.
std::optional<Outcome> render_line(const Command& command, std::string_view raw_line, bool json);

// The daemon answered ok:false: "konnectctl: ERROR (no such process): MESSAGE".
std::string format_daemon_error(const Error& error);

std::string usage_text();                            // --help
std::string short_usage();                           // after a usage error
std::string command_usage(const Command& command);  // "Usage: konnectctl start TARGET...\n..."

}  // namespace konnect::ctl
