#pragma once
// The arguments of each command (docs/protocol.md), typed: konnectctl fills one of these and
// encodes it; konnectd decodes the request's `args` into the same struct. One struct per
// shape of arguments, one encoder and one decoder each, so the two sides cannot drift.
// A decoder refuses a wrong type with BAD_ARGUMENTS and never throws; a missing key takes
// its default.

#include "common/error.hpp"
#include "common/process_state.hpp"
#include "common/protocol/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace konnect {

// status, pid, start, stop, restart, clear, add, remove, logreopen, shutdown...: optional
// "targets" (a list of non-empty strings). Whether a command needs them is the command's.
struct TargetsArgs {
  std::vector<std::string> targets;
};
Json encode_args(const TargetsArgs& args);  // {} without targets
Result<TargetsArgs> decode_targets_args(const Json& args);

// signal: "signal" (a name such as "HUP" or "SIGHUP", or a number 1-64, sent as a JSON
// number) and "targets". The decoder checks that it names a signal.
struct SignalArgs {
  std::string signal;  // as the user wrote it
  std::vector<std::string> targets;
};
// The signal's number; the decoder checked that there is one.
int signal_number(const SignalArgs& args);
Json encode_args(const SignalArgs& args);
Result<SignalArgs> decode_signal_args(const Json& args);

// tail NAME [stdout|stderr]: "name", "stream" ("stdout" by default), "follow", "lines".
// Bytes instead of lines (XML-RPC's reads): "bytes", the last N (1 to 1 MiB); with "offset",
// from byte N of the file on, at most "bytes" of them (0 or none: to the end, at most 1 MiB).
struct TailArgs {
  std::string name;
  bool stderr_stream = false;
  bool follow = false;
  std::size_t lines = 10;
  std::size_t bytes = 0;
  std::optional<std::uint64_t> offset = std::nullopt;
};
Json encode_args(const TailArgs& args);
Result<TailArgs> decode_tail_args(const Json& args);

// maintail: "follow", "lines", and "bytes" and "offset" as tail's.
struct MaintailArgs {
  bool follow = false;
  std::size_t lines = 10;
  std::size_t bytes = 0;
  std::optional<std::uint64_t> offset = std::nullopt;
};
Json encode_args(const MaintailArgs& args);
Result<MaintailArgs> decode_maintail_args(const Json& args);

// reload and update: "targets" (programs; none means all) and "dry_run".
struct ReloadArgs {
  std::vector<std::string> targets;
  bool dry_run = false;
};
Json encode_args(const ReloadArgs& args);
Result<ReloadArgs> decode_reload_args(const Json& args);

// wait: "targets", "state" (a state name, RUNNING by default) and "timeout_ms" (60000 by
// default; 0 asks whether they are there now).
struct WaitArgs {
  std::vector<std::string> targets;
  State state = State::Running;
  std::int64_t timeout_ms = 60000;
};
Json encode_args(const WaitArgs& args);
Result<WaitArgs> decode_wait_args(const Json& args);

inline constexpr std::size_t kMaxTailLines = 1000000;
inline constexpr std::int64_t kMaxWaitMs = 7LL * 24 * 3600 * 1000;  // a week

}  // namespace konnect
