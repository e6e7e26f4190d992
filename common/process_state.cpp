#include "common/process_state.hpp"

#include <array>
#include <utility>

namespace konnect {
namespace {

constexpr std::array<std::pair<State, std::string_view>, 7> kStateNames{{
    {State::Stopped, "STOPPED"},
    {State::Starting, "STARTING"},
    {State::Running, "RUNNING"},
    {State::Backoff, "BACKOFF"},
    {State::Stopping, "STOPPING"},
    {State::Exited, "EXITED"},
    {State::Fatal, "FATAL"},
}};

}  // namespace

std::string_view to_string(State state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "UNKNOWN";
}

std::optional<State> state_from_string(std::string_view name) {
  for (const auto& [s, n] : kStateNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

bool is_active(State state) {
  return state == State::Starting || state == State::Running || state == State::Backoff ||
         state == State::Stopping;
}

bool is_down(State state) { return !is_active(state); }

}  // namespace konnect
