#pragma once
// Splits a command string into argv like a POSIX shell would (Python's shlex.split):
// whitespace separates words, 'single' and "double" quotes group, backslash escapes.
// No expansion of any kind happens and no shell ever runs.

#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace konnect {

// Errors (ErrorCode::Config, message only) on an unterminated quote or trailing backslash.
Result<std::vector<std::string>> split_shell_words(std::string_view text);

// The inverse for display: quotes a word only when it needs it.
std::string quote_shell_word(std::string_view word);

}  // namespace konnect
