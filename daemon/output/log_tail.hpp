#pragma once
// Reading the end of a log file (konnectctl tail, maintail): the last N lines, reaching into
// the newest rotated file (FILE.1) when FILE itself holds fewer, never more than max_bytes;
// or a range of it (XML-RPC's reads from an offset). Blocking file I/O: call it off the main
// loop (the output thread).

#include "common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace konnect {

Result<std::string> read_tail(const std::filesystem::path& file, std::size_t lines, std::size_t max_bytes);
// At most max_bytes of file from byte `offset` on: "" past its end, or when it does not exist.
Result<std::string> read_range(const std::filesystem::path& file, std::uint64_t offset, std::size_t max_bytes);

// The last `lines` lines of text (a final line without '\n' counts as a line).
std::string_view last_lines(std::string_view text, std::size_t lines);

}  // namespace konnect
