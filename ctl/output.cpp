#include "ctl/output.hpp"

#include <algorithm>

namespace konnect::ctl {
namespace {

constexpr std::size_t kMinNameWidth = 30;  // supervisorctl's floor for the name column
constexpr std::size_t kNameGap = 3;
constexpr std::size_t kStateWidth = 10;

// Code points in UTF-8 text: every byte that is not a continuation byte (10xxxxxx).
std::size_t display_length(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void append_padded(std::string& out, std::string_view text, std::size_t width) {
  out += text;
  std::size_t length = display_length(text);
  if (length < width) out.append(width - length, ' ');
}

const Json* field(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

std::string_view json_string(const Json& object, std::string_view key) {
  const Json* value = field(object, key);
  if (value == nullptr || !value->is_string()) return {};
  return value->get_ref<const std::string&>();
}

long long json_integer(const Json& object, std::string_view key) {
  const Json* value = field(object, key);
  if (value == nullptr || !value->is_number_integer()) return 0;
  return value->get<long long>();
}

bool json_bool(const Json& object, std::string_view key) {
  const Json* value = field(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

const Json& json_array(const Json& object, std::string_view key) {
  static const Json kEmpty = Json::array();
  const Json* value = field(object, key);
  return value != nullptr && value->is_array() ? *value : kEmpty;
}

std::string format_status_line(std::string_view name, std::string_view state, std::string_view description,
                               std::size_t name_width) {
  std::string line;
  line.reserve(name_width + kStateWidth + description.size());
  append_padded(line, name, name_width);
  append_padded(line, state, kStateWidth);
  line += description;
  return line;
}

std::vector<StatusRow> status_rows(const Json& processes) {
  std::vector<StatusRow> rows;
  if (!processes.is_array()) return rows;
  rows.reserve(processes.size());
  for (const Json& p : processes) {
    rows.push_back({std::string(json_string(p, "name")), std::string(json_string(p, "state")),
                    std::string(json_string(p, "description"))});
  }
  return rows;
}

std::size_t status_name_width(const std::vector<StatusRow>& rows) {
  std::size_t longest = kMinNameWidth;
  for (const StatusRow& row : rows) longest = std::max(longest, display_length(row.name));
  return longest + kNameGap;
}

std::string format_status(const std::vector<StatusRow>& rows) {
  std::string out;
  std::size_t width = status_name_width(rows);
  for (const StatusRow& row : rows) {
    out += format_status_line(row.name, row.state, row.description, width);
    out += '\n';
  }
  return out;
}

std::string error_code_phrase(std::string_view code) {
  std::string phrase(code);
  for (char& c : phrase) {
    if (c == '_') {
      c = ' ';
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return phrase;
}

std::string format_process_error(std::string_view name, const Json& error) {
  std::string_view code = json_string(error, "code");
  std::string_view message = json_string(error, "message");
  std::string line(name);
  line += ": ERROR (";
  line += error_code_phrase(code.empty() ? std::string_view("FAILED") : code);
  if (!message.empty()) {
    line += ": ";
    line += message;
  }
  line += ')';
  return line;
}

std::string format_action_lines(const Json& processes, std::initializer_list<std::string_view> verbs) {
  std::string out;
  if (!processes.is_array()) return out;
  for (const Json& p : processes) {
    std::string_view name = json_string(p, "name");
    if (json_bool(p, "ok")) {
      for (std::string_view verb : verbs) {
        out += name;
        out += ": ";
        out += verb;
        out += '\n';
      }
    } else {
      const Json* error = field(p, "error");
      out += format_process_error(name, error != nullptr ? *error : Json());
      out += '\n';
    }
  }
  return out;
}

}  // namespace konnect::ctl
