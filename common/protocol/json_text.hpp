#pragma once
// JSON text written straight into a string, for the answers that are large and frequent
// (`status` of a thousand programs), where building an nlohmann::json tree and dumping it
// cost most of the answer's time. The output is byte for byte what nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) writes for the same values: the same
// escapes, and invalid UTF-8 replaced by U+FFFD at the same places.

#include <cstdint>
#include <string>
#include <string_view>

namespace konnect {

// How many continuation bytes follow a UTF-8 lead byte, and the range the first of them must
// be in (Unicode's table of well-formed UTF-8: no overlong forms, no surrogates, nothing
// above U+10FFFF); the others are 0x80-0xBF. continuation 0: not a lead byte.
struct Utf8Lead {
  int continuation;
  unsigned char low, high;
};
Utf8Lead utf8_lead(unsigned char c);

// Appends `text` as a JSON string, quotes included.
void append_json_string(std::string& out, std::string_view text);

// An object's members, in the order given (nlohmann's objects are sorted by key; callers
// that must match them list keys sorted). Usage:
//   JsonObject o(out); o.key("name").string(n); o.key("pid").number(p); o.close();
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  JsonObject& key(std::string_view name);
  JsonObject& string(std::string_view value);
  JsonObject& number(std::int64_t value);
  // A value already written as JSON text.
  JsonObject& raw(std::string_view json);
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace konnect
