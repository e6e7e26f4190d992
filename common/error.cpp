#include "common/error.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace konnect {
namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 14> kCodeNames{{
    {ErrorCode::BadRequest, "BAD_REQUEST"},
    {ErrorCode::RequestTooLarge, "REQUEST_TOO_LARGE"},
    {ErrorCode::UnknownCommand, "UNKNOWN_COMMAND"},
    {ErrorCode::BadArguments, "BAD_ARGUMENTS"},
    {ErrorCode::NoSuchProcess, "NO_SUCH_PROCESS"},
    {ErrorCode::SpawnError, "SPAWN_ERROR"},
    {ErrorCode::Failed, "FAILED"},
    {ErrorCode::ShuttingDown, "SHUTTING_DOWN"},
    {ErrorCode::Config, "CONFIG_ERROR"},
    {ErrorCode::Io, "IO_ERROR"},
    {ErrorCode::PermissionDenied, "PERMISSION_DENIED"},
    {ErrorCode::TooManyClients, "TOO_MANY_CLIENTS"},
    {ErrorCode::Timeout, "TIMEOUT"},
    {ErrorCode::Internal, "INTERNAL"},
}};

}  // namespace

std::string_view to_string(ErrorCode code) {
  for (const auto& [c, name] : kCodeNames) {
    if (c == code) return name;
  }
  return "FAILED";
}

ErrorCode error_code_from_string(std::string_view s) {
  for (const auto& [c, name] : kCodeNames) {
    if (name == s) return c;
  }
  return ErrorCode::Failed;
}

std::string Error::to_string() const {
  if (file.empty()) return message;
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  out += message;
  return out;
}

Error make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw std::runtime_error(e.to_string());
}

}  // namespace konnect
