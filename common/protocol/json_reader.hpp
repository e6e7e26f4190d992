#pragma once
// A strict pull reader of JSON text, for the answer konnectctl reads most (`status`), where
// parsing the line into an nlohmann::json tree was a third of the client's time. It builds
// nothing: the caller walks the text and keeps only the strings it wants.
//
// It is at least as strict as nlohmann's parser: text it accepts, nlohmann accepts with the
// same values. It may refuse more (nesting deeper than kMaxDepth); a caller that must take
// everything nlohmann takes falls back to nlohmann when the reader fails. Usage:
//
//   JsonReader r(text);
//   std::string key;
//   if (r.begin_object())
//     while (r.next_member(key)) key == "name" ? r.string(name) : r.skip();
//   if (r.failed() || !r.at_end()) ...
//
// Every call after the first failure returns false.

#include <cstddef>
#include <string>
#include <string_view>

namespace konnect {

class JsonReader {
 public:
  static constexpr std::size_t kMaxDepth = 512;

  explicit JsonReader(std::string_view text) : text_(text) {}

  // '{' or '[' of a value.
  bool begin_object();
  bool begin_array();
  // The next member's key (its value is next), or false at the closing '}'.
  bool next_member(std::string& key);
  // True when an element follows, false at the closing ']'.
  bool next_element();

  // A value of that type; anything else fails the reader.
  bool string(std::string& out);
  bool boolean(bool& out);
  // Any value, read and dropped.
  bool skip();

  // The next value's first character ('{', '[', '"', 't', 'f', 'n', '-', a digit), or 0 at
  // the end of the text.
  char peek();
  // Only whitespace is left.
  bool at_end();
  bool failed() const { return failed_; }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }
  void skip_space();
  bool literal(std::string_view word);
  bool number();
  bool escape(std::string& out);
  bool next_item(char close);

  std::string_view text_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  bool after_open_ = false;  // just past '{' or '[': no comma before the first item
};

}  // namespace konnect
