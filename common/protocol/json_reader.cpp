#include "common/protocol/json_reader.hpp"

#include "common/protocol/json_text.hpp"

#include <charconv>
#include <cmath>
#include <system_error>
#include <vector>

namespace konnect {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

}  // namespace

void JsonReader::skip_space() {
  while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
}

char JsonReader::peek() {
  skip_space();
  return pos_ < text_.size() ? text_[pos_] : '\0';
}

bool JsonReader::at_end() { return !failed_ && peek() == '\0' && pos_ == text_.size(); }

bool JsonReader::begin_object() {
  if (failed_ || peek() != '{') return fail();
  ++pos_;
  after_open_ = true;
  return true;
}

bool JsonReader::begin_array() {
  if (failed_ || peek() != '[') return fail();
  ++pos_;
  after_open_ = true;
  return true;
}

// Past the separator before the next item of a container that ends in `close`: true when an
// item follows, false at `close` (consumed) or on a syntax error.
bool JsonReader::next_item(char close) {
  if (failed_) return false;
  const char c = peek();
  const bool first = after_open_;
  after_open_ = false;
  if (c == close) {
    ++pos_;
    return false;
  }
  if (first) return true;
  if (c != ',') return fail();
  ++pos_;
  return true;
}

bool JsonReader::next_member(std::string& key) {
  if (!next_item('}')) return false;
  if (peek() != '"' || !string(key)) return fail();
  if (peek() != ':') return fail();
  ++pos_;
  return true;
}

bool JsonReader::next_element() {
  if (!next_item(']')) return false;
  if (peek() == ']') return fail();  // "[1,]"
  return true;
}

bool JsonReader::literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return fail();
  pos_ += word.size();
  return true;
}

bool JsonReader::boolean(bool& out) {
  const char c = peek();
  if (failed_ || (c != 't' && c != 'f')) return fail();
  out = c == 't';
  return literal(out ? "true" : "false");
}

// RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool JsonReader::number() {
  auto digits = [&] {
    const std::size_t first = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    return pos_ > first;
  };
  auto at = [&](char c) { return pos_ < text_.size() && text_[pos_] == c; };
  const std::size_t start = pos_;
  if (at('-')) ++pos_;
  if (at('0')) {
    ++pos_;
  } else if (!digits()) {
    return fail();
  }
  if (at('.')) {
    ++pos_;
    if (!digits()) return fail();
  }
  if (at('e') || at('E')) {
    ++pos_;
    if (at('+') || at('-')) ++pos_;
    if (!digits()) return fail();
  }
  // nlohmann reads what does not fit an integer as a double and refuses one that overflows
  // ("1e400"): so do we. Plain integers of up to 18 digits always fit.
  const std::string_view token = text_.substr(start, pos_ - start);
  if (token.size() > 18 || token.find_first_of(".eE") != std::string_view::npos) {
    double value = 0;  // from_chars, not strtod: the locale's decimal point plays no part
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
    // out of range also refuses underflow ("1e-400"), which nlohmann takes: stricter is safe.
    if (error != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) return fail();
  }
  return true;
}

// After the backslash.
bool JsonReader::escape(std::string& out) {
  if (pos_ >= text_.size()) return fail();
  const char c = text_[pos_++];
  switch (c) {
    case '"': out += '"'; return true;
    case '\\': out += '\\'; return true;
    case '/': out += '/'; return true;
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    case 'u': break;
    default: return fail();
  }
  auto hex4 = [&](unsigned& value) {
    if (pos_ + 4 > text_.size()) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(text_[pos_++]);
      if (h < 0) return false;
      value = value * 16 + static_cast<unsigned>(h);
    }
    return true;
  };
  unsigned code = 0;
  if (!hex4(code)) return fail();
  if (code >= 0xDC00 && code <= 0xDFFF) return fail();  // a low surrogate first
  if (code >= 0xD800 && code <= 0xDBFF) {               // must be followed by a low one
    unsigned low = 0;
    if (text_.substr(pos_, 2) != "\\u") return fail();
    pos_ += 2;
    if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) return fail();
    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
  }
  append_utf8(out, code);
  return true;
}

bool JsonReader::string(std::string& out) {
  if (failed_ || peek() != '"') return fail();
  ++pos_;
  out.clear();
  const std::size_t n = text_.size();
  for (;;) {
    std::size_t run = pos_;
    while (run < n) {
      const auto c = static_cast<unsigned char>(text_[run]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++run;
    }
    out.append(text_.data() + pos_, run - pos_);
    pos_ = run;
    if (pos_ >= n) return fail();
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (c == '\\') {
      ++pos_;
      if (!escape(out)) return false;
      continue;
    }
    if (c < 0x20) return fail();  // control characters must be escaped
    // A UTF-8 sequence: only well-formed ones, as nlohmann's parser.
    const Utf8Lead lead = utf8_lead(c);
    if (lead.continuation == 0 || pos_ + 1 + static_cast<std::size_t>(lead.continuation) > n) return fail();
    unsigned char low = lead.low, high = lead.high;
    for (int k = 1; k <= lead.continuation; ++k) {
      const auto d = static_cast<unsigned char>(text_[pos_ + static_cast<std::size_t>(k)]);
      if (d < low || d > high) return fail();
      low = 0x80;
      high = 0xBF;
    }
    const std::size_t length = 1 + static_cast<std::size_t>(lead.continuation);
    out.append(text_.data() + pos_, length);
    pos_ += length;
  }
}

bool JsonReader::skip() {
  std::vector<char> open;  // the closers of the containers we are in
  std::string scratch;
  for (;;) {
    // One value's start.
    const char c = peek();
    if (failed_) return false;
    if (c == '{' || c == '[') {
      if (open.size() >= kMaxDepth) return fail();
      c == '{' ? begin_object() : begin_array();
      open.push_back(c == '{' ? '}' : ']');
    } else if (c == '"') {
      if (!string(scratch)) return false;
    } else if (c == 't' || c == 'f') {
      bool ignored = false;
      if (!boolean(ignored)) return false;
    } else if (c == 'n') {
      if (!literal("null")) return false;
    } else if (c == '-' || is_digit(c)) {
      if (!number()) return false;
    } else {
      return fail();
    }
    // Close every container that ends here; stop at the next item, or when the value that
    // skip() was asked for is complete.
    for (;;) {
      if (open.empty()) return true;
      const bool more = open.back() == '}' ? next_member(scratch) : next_element();
      if (failed_) return false;
      if (more) break;
      open.pop_back();
    }
  }
}

}  // namespace konnect
