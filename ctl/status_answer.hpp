#pragma once
// The rows of a `status` answer, read straight from the answer's line. Parsing the line into
// an nlohmann::json tree took 0.5 ms for 100 programs, a third of konnectctl's whole run
// (docs/benchmarks.md); the reader (common/json_reader) keeps only the three strings each
// row prints.

#include "ctl/output.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace konnect::ctl {

// The rows of an ok answer {"ok":true,"result":{"processes":[{...},...]},...} whose rows'
// name, state and description are strings where present, and which is not a stream (no
// "more" in the result). nullopt for anything else (an error answer, another shape, text
// that is not JSON, or JSON that the reader refuses and nlohmann may take): the caller then
// reads the line the general way, with nlohmann, and status_rows().
std::optional<std::vector<StatusRow>> read_status_answer(std::string_view line);

}  // namespace konnect::ctl
