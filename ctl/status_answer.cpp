#include "ctl/status_answer.hpp"

#include "common/protocol/json_reader.hpp"

namespace konnect::ctl {
namespace {

// One process object. false when a field we print is there but not a string: nlohmann's
// reading prints it as empty, which the general path does.
bool read_row(JsonReader& r, std::string& key, StatusRow& row) {
  if (!r.begin_object()) return false;
  while (r.next_member(key)) {
    std::string* field = nullptr;
    if (key == "name") {
      field = &row.name;
    } else if (key == "state") {
      field = &row.state;
    } else if (key == "description") {
      field = &row.description;
    }
    if (field == nullptr) {
      if (!r.skip()) return false;
    } else if (!r.string(*field)) {
      return false;
    }
  }
  return !r.failed();
}

// result: {"processes": [...], ...}; true when `processes` was there and read.
bool read_result(JsonReader& r, std::string& key, std::vector<StatusRow>& rows) {
  if (!r.begin_object()) return false;
  bool found = false;
  while (r.next_member(key)) {
    if (key == "more") return false;  // a stream (tail -f): only the general way follows one
    if (key != "processes") {
      if (!r.skip()) return false;
      continue;
    }
    if (!r.begin_array()) return false;
    rows.clear();  // a repeated key: the last one counts, as in nlohmann
    while (r.next_element()) {
      if (!read_row(r, key, rows.emplace_back())) return false;
    }
    if (r.failed()) return false;
    found = true;
  }
  return found && !r.failed();
}

}  // namespace

std::optional<std::vector<StatusRow>> read_status_answer(std::string_view line) {
  JsonReader r(line);
  std::string key;
  std::vector<StatusRow> rows;
  bool ok = false, have_result = false;
  if (!r.begin_object()) return std::nullopt;
  while (r.next_member(key)) {
    if (key == "ok") {
      if (!r.boolean(ok)) return std::nullopt;
    } else if (key == "result") {
      have_result = read_result(r, key, rows);
      if (!have_result) return std::nullopt;
    } else if (!r.skip()) {
      return std::nullopt;
    }
  }
  if (r.failed() || !r.at_end() || !ok || !have_result) return std::nullopt;
  return rows;
}

}  // namespace konnect::ctl
