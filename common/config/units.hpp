#pragma once
// Durations ("10s", "2m", "500ms", "1h", or a bare number of seconds) and sizes
// ("50MB", "512KB", "1GB", "100B", or a bare number of bytes; KB/MB/GB are 1024-based as
// in supervisord, KiB/MiB/GiB accepted too). Pure parsing, no I/O.

#include "common/config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace konnect {

std::optional<Duration> parse_duration(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);
// A TOML number of seconds (rounded to the millisecond); nullopt if negative, not finite
// or too large.
std::optional<Duration> duration_from_float_seconds(double seconds);
std::optional<Duration> duration_from_seconds(std::int64_t seconds);
// "1.5s", "600s", "250ms": the shortest exact spelling, for docs, logs and convert.
std::string format_duration(Duration d);

}  // namespace konnect
