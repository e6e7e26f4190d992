#pragma once
// Expected failures as values (STYLE.md "Errors"): an Error carries a code that maps
// one-to-one to the wire string of SPEC.md, a human message, and for config errors the
// file, line and key they come from. Result<T> is boost::system::result<T, Error>.

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace konnect {

enum class ErrorCode {
  BadRequest,       // BAD_REQUEST: not JSON, not an object, wrong field types
  RequestTooLarge,  // REQUEST_TOO_LARGE: a line over 1 MiB
  UnknownCommand,   // UNKNOWN_COMMAND
  BadArguments,     // BAD_ARGUMENTS: args missing or of the wrong shape
  NoSuchProcess,    // NO_SUCH_PROCESS: a target names no process or group
  SpawnError,       // SPAWN_ERROR: a start failed (BACKOFF/FATAL)
  Failed,           // FAILED: an action failed for another reason
  ShuttingDown,     // SHUTTING_DOWN: the daemon is stopping and takes no new actions
  Config,           // CONFIG_ERROR: a config file is wrong
  Io,               // IO_ERROR: a file or socket operation failed
  PermissionDenied,  // PERMISSION_DENIED: the client may not do this (docs/protocol.md "Access")
  TooManyClients,   // TOO_MANY_CLIENTS: no connection slot for this client (docs/protocol.md "Limits")
  Timeout,          // TIMEOUT: wait's time ran out before its targets got there
  Internal,         // INTERNAL: a bug; should never be seen
};

std::string_view to_string(ErrorCode code);
// Inverse of to_string(); unknown strings map to ErrorCode::Failed.
ErrorCode error_code_from_string(std::string_view s);

struct Error {
  ErrorCode code = ErrorCode::Failed;
  std::string message;
  // Config errors only: where the problem is. line is 0 when unknown.
  std::string file;
  int line = 0;
  std::string key;

  // "FILE:LINE: key 'KEY': MESSAGE" for config errors, otherwise the message.
  std::string to_string() const;
};

Error make_error(ErrorCode code, std::string message);

template <class T>
using Result = boost::system::result<T, Error>;

// Needed by boost::system::result<T, Error>::value() when it holds an error.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace konnect
