#include "common/protocol/json_text.hpp"

#include <charconv>

namespace konnect {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

void append_escaped_ascii(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  if (c < 0x20) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
    return;
  }
  out += static_cast<char>(c);
}

// Printable ASCII other than the quote and the backslash: copied as it is. Names, states and
// descriptions are nearly all such bytes, so they go into `out` in runs, not one by one.
bool is_plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

}  // namespace

Utf8Lead utf8_lead(unsigned char c) {
  if (c >= 0xC2 && c <= 0xDF) return {1, 0x80, 0xBF};
  if (c == 0xE0) return {2, 0xA0, 0xBF};
  if (c == 0xED) return {2, 0x80, 0x9F};
  if (c >= 0xE1 && c <= 0xEF) return {2, 0x80, 0xBF};
  if (c == 0xF0) return {3, 0x90, 0xBF};
  if (c >= 0xF1 && c <= 0xF3) return {3, 0x80, 0xBF};
  if (c == 0xF4) return {3, 0x80, 0x8F};
  return {0, 0, 0};
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = i;
    while (run < n && is_plain(static_cast<unsigned char>(text[run]))) ++run;
    if (run != i) {
      out.append(text.data() + i, run - i);
      i = run;
      if (i == n) break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      append_escaped_ascii(out, c);
      ++i;
      continue;
    }
    const Utf8Lead lead = utf8_lead(c);
    if (lead.continuation == 0) {  // a stray continuation byte or an impossible lead
      out += kReplacement;
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    unsigned char low = lead.low, high = lead.high;
    bool complete = true;
    for (int k = 0; k < lead.continuation; ++k, ++j) {
      if (j == n) {  // cut short by the end of the text: one replacement, as nlohmann
        out += kReplacement;
        out += '"';
        return;
      }
      const auto d = static_cast<unsigned char>(text[j]);
      if (d < low || d > high) {
        complete = false;
        break;
      }
      low = 0x80;
      high = 0xBF;
    }
    if (complete) {
      out.append(text.substr(i, j - i));
    } else {
      out += kReplacement;  // the broken sequence; the byte that broke it is read again
    }
    i = j;
  }
  out += '"';
}

JsonObject& JsonObject::key(std::string_view name) {
  if (!first_) out_ += ',';
  first_ = false;
  append_json_string(out_, name);
  out_ += ':';
  return *this;
}

JsonObject& JsonObject::string(std::string_view value) {
  append_json_string(out_, value);
  return *this;
}

JsonObject& JsonObject::number(std::int64_t value) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out_.append(buf, r.ptr);
  return *this;
}

JsonObject& JsonObject::raw(std::string_view json) {
  out_ += json;
  return *this;
}

}  // namespace konnect
