#include "common/handoff/json_fields.hpp"

#include "common/base64.hpp"

namespace konnect::handoff::detail {
namespace {

constexpr int kMaxFd = 1 << 20;  // above any RLIMIT_NOFILE konnectd raises to

}  // namespace

const json& field(const json& object, const char* key, const std::string& at) {
  if (!object.is_object()) throw Refused(at + ": not an object");
  auto it = object.find(key);
  if (it == object.end()) throw Refused(at + "." + key + ": missing");
  return *it;
}

std::string text(const json& object, const char* key, const std::string& at) {
  const json& v = field(object, key, at);
  if (!v.is_string()) throw Refused(at + "." + key + ": not a string");
  return v.get<std::string>();
}

bool flag(const json& object, const char* key, const std::string& at) {
  const json& v = field(object, key, at);
  if (!v.is_boolean()) throw Refused(at + "." + key + ": not a boolean");
  return v.get<bool>();
}

std::int64_t integer(const json& object, const char* key, const std::string& at, std::int64_t lo, std::int64_t hi) {
  const json& v = field(object, key, at);
  if (!v.is_number_integer()) throw Refused(at + "." + key + ": not an integer");
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    throw Refused(at + "." + key + ": " + std::to_string(v.get<std::uint64_t>()) + " is out of range");
  }
  const auto n = v.get<std::int64_t>();
  if (n < lo || n > hi) throw Refused(at + "." + key + ": " + std::to_string(n) + " is out of range");
  return n;
}

std::uint64_t count(const json& object, const char* key, const std::string& at) {
  return static_cast<std::uint64_t>(integer(object, key, at, 0, INT64_MAX));
}

int fd(const json& object, const char* key, const std::string& at) {
  const auto n = integer(object, key, at, -1, kMaxFd);
  if (n >= 0 && n < 3) throw Refused(at + "." + key + ": " + std::to_string(n) + " is not a handed-over fd");
  return static_cast<int>(n);
}

std::optional<std::int64_t> maybe_integer(const json& object, const char* key, const std::string& at) {
  if (field(object, key, at).is_null()) return std::nullopt;
  return integer(object, key, at, INT64_MIN, INT64_MAX);
}

std::optional<std::uint64_t> maybe_count(const json& object, const char* key, const std::string& at) {
  if (field(object, key, at).is_null()) return std::nullopt;
  return count(object, key, at);
}

const json& array(const json& object, const char* key, const std::string& at) {
  const json& v = field(object, key, at);
  if (!v.is_array()) throw Refused(at + "." + key + ": not an array");
  return v;
}

std::string name(const json& object, const char* key, const std::string& at) {
  std::string s = text(object, key, at);
  if (s.empty()) throw Refused(at + "." + key + ": empty");
  return s;
}

std::string bytes(const json& object, const char* key, const std::string& at) {
  auto decoded = base64_decode(text(object, key, at));
  if (!decoded) throw Refused(at + "." + key + ": not base64");
  return std::move(*decoded);
}

json bytes_json(std::string_view bytes) { return base64_encode(bytes); }

}  // namespace konnect::handoff::detail
