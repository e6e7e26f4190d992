#pragma once
// The status page konnectd serves on GET / (SPEC.md "HTTP"; daemon/web/page.html, compiled
// in): one self-contained document, no external resources. It reads `status` and `stats`
// through POST /api, follows state changes on GET /events (server-sent events from the event
// bus) and a log on GET /logtail/NAME, and acts with POST /api. Every POST it makes carries
// the token written into it, and konnectd refuses a browser's POST without it (CSRF).

#include <string>
#include <string_view>

namespace konnect {

// The page with `token` in its <meta name="konnect-token">.
std::string web_page(std::string_view token);

// A new token: 128 random bits as hex (getrandom).
std::string new_web_token();

// Whether `given` is the token, in time that does not depend on where they differ.
bool token_matches(std::string_view given, std::string_view token);

}  // namespace konnect
