#pragma once
// The per-process answer of start, stop, restart, signal and clear (docs/protocol.md):
//   {"processes":[{"name":"web","ok":true,"state":"RUNNING"},
//                 {"name":"db","ok":false,"state":"FATAL","error":{"code":"SPAWN_ERROR","message":"..."}}]}
// The supervision core produces these as values; this is the one place that writes them as
// JSON. konnectctl reads them as JSON (ctl/output.cpp), leniently: a newer daemon's unknown
// error code or state still prints.

#include "common/error.hpp"
#include "common/process_state.hpp"
#include "common/protocol/protocol.hpp"

#include <optional>
#include <string>
#include <vector>

namespace konnect {

struct ProcessResult {
  std::string name;              // the namespec
  std::optional<State> state;    // its state when the action ended (clear has none)
  std::optional<Error> error;    // why the action failed for it; none when it worked
  bool ok() const { return !error.has_value(); }
};

using ProcessResults = std::vector<ProcessResult>;

Json encode_results(const std::vector<ProcessResult>& results);  // {"processes": [...]}

}  // namespace konnect
