#pragma once
// Reading the reexec state's JSON (common/handoff/handoff_state.hpp): each field by key and
// type, with the path to it in the error. Anything not as expected throws Refused, which
// decode() turns into the reason the state is refused.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace konnect::handoff::detail {

using nlohmann::json;

// A reading error: what, where (the JSON path).
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& field(const json& object, const char* key, const std::string& at);
std::string text(const json& object, const char* key, const std::string& at);
bool flag(const json& object, const char* key, const std::string& at);
std::int64_t integer(const json& object, const char* key, const std::string& at, std::int64_t lo, std::int64_t hi);
std::uint64_t count(const json& object, const char* key, const std::string& at);
// A handed-over fd: -1 (none) or a number above stdio's.
int fd(const json& object, const char* key, const std::string& at);
std::optional<std::int64_t> maybe_integer(const json& object, const char* key, const std::string& at);
std::optional<std::uint64_t> maybe_count(const json& object, const char* key, const std::string& at);
const json& array(const json& object, const char* key, const std::string& at);
// A non-empty string.
std::string name(const json& object, const char* key, const std::string& at);
// Bytes that need not be UTF-8, written as base64.
std::string bytes(const json& object, const char* key, const std::string& at);
json bytes_json(std::string_view bytes);

}  // namespace konnect::handoff::detail
