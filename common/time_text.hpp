#pragma once
// Times as text: RFC 3339 in UTC with milliseconds, "2026-11-28T03:40:56.123Z" (program log
// timestamps, the time of an event).

#include <cstdint>
#include <string>

namespace konnect {

std::string utc_text(std::int64_t unix_ms);

}  // namespace konnect
