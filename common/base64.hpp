#pragma once
// Base64 (RFC 4648, standard alphabet, '=' padding) for XML-RPC's <base64>, HTTP basic auth
// and the bytes a reexec state carries that need not be UTF-8 (JSON strings must be).

#include <optional>
#include <string>
#include <string_view>

namespace konnect {

std::string base64_encode(std::string_view bytes);
// Whitespace between groups is skipped (XML-RPC clients wrap lines); anything else that is
// not of the alphabet, or a wrong length or padding, is nullopt.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace konnect
