#include "common/config/ini_file.hpp"

#include <algorithm>

namespace konnect {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// configparser: an inline comment prefix counts at the start or after whitespace.
std::string_view without_inline_comment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == ';' || line[i] == '#') && (i == 0 || is_space(line[i - 1]))) return line.substr(0, i);
  }
  return line;
}

std::size_t indent_of(std::string_view line) {
  std::size_t n = 0;
  while (n < line.size() && is_space(line[n])) ++n;
  return n;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Error syntax_error(const std::string& file, int line, std::string message) {
  Error e = make_error(ErrorCode::Config, std::move(message));
  e.file = file;
  e.line = line;
  return e;
}

}  // namespace

const IniOption* IniSection::find(std::string_view key) const {
  for (const auto& o : options) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

Result<std::vector<IniSection>> parse_ini(std::string_view text, const std::string& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
  std::vector<IniSection> sections;
  IniSection* current = nullptr;
  IniOption* option = nullptr;  // the option a deeper-indented line continues
  std::size_t option_indent = 0;
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos <= text.size();) {
    const auto nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    const std::string_view raw = lines[i];
    const std::string_view stripped = strip(raw);
    // Blank lines may sit inside a value: a deeper line after them still continues it.
    if (stripped.empty() || stripped.front() == '#' || stripped.front() == ';') continue;
    const std::string_view value = strip(without_inline_comment(raw));
    const std::size_t indent = indent_of(raw);
    if (option != nullptr && indent > option_indent) {
      if (!value.empty()) option->value += (option->value.empty() ? "" : "\n") + std::string(value);
      continue;
    }
    option = nullptr;
    if (value.front() == '[') {
      const auto close = value.rfind(']');
      const std::string_view name = close == std::string_view::npos ? "" : strip(value.substr(1, close - 1));
      if (name.empty()) return syntax_error(file, number, "a section header must be [NAME]");
      auto it = std::find_if(sections.begin(), sections.end(), [&](const IniSection& s) { return s.name == name; });
      if (it == sections.end()) {
        sections.push_back(IniSection{std::string(name), number, {}});
        it = std::prev(sections.end());
      }
      current = &*it;
      continue;
    }
    const auto delim = value.find_first_of("=:");
    if (delim == std::string_view::npos || delim == 0) {
      return syntax_error(file, number, "expected KEY = VALUE or a [section] header, got '" + std::string(value) + "'");
    }
    if (current == nullptr) {
      return syntax_error(file, number, "an option before the first [section] header");
    }
    const std::string key = lower(strip(value.substr(0, delim)));
    const std::string val(strip(value.substr(delim + 1)));
    auto it = std::find_if(current->options.begin(), current->options.end(), [&](const IniOption& o) { return o.key == key; });
    if (it == current->options.end()) {
      current->options.push_back(IniOption{key, val, number});
      option = &current->options.back();
    } else {
      *it = IniOption{key, val, number};
      option = &*it;
    }
    option_indent = indent;
  }
  return sections;
}

}  // namespace konnect
