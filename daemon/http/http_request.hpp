#pragma once
// What an HTTP request is before anyone acts on it (pure: no sockets, in make fuzz): the
// parser's limits, and the route its target names.

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace konnect {

struct HttpLimits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds idle_timeout{60000};
};

using HttpRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A parser for one request, within limits.
void apply_limits(HttpRequestParser& parser, const HttpLimits& limits);

struct HttpRoute {
  enum class Kind { Page, Events, Rpc, Api, LogTail, MainLogTail, Metrics, NotFound };
  Kind kind = Kind::NotFound;
  std::string name;    // LogTail: the process, %-decoded ("group:name")
  std::string stream;  // LogTail: "stdout" or "stderr"
};

// / (the web page), /events, /RPC2, /api, /logtail/NAME[/stdout|/stderr], /mainlogtail,
// /metrics; a query string is ignored.
HttpRoute route_of(std::string_view target);

// Whether a Host header names this machine's loopback: localhost, 127.x.x.x or [::1], with
// or without a port. konnectd without credentials answers only those on TCP: a page whose
// name was made to resolve to 127.0.0.1 (DNS rebinding) sends its own name.
bool is_loopback_host(std::string_view host);

// %XX decoded (supervisorctl quotes "group:name" in /logtail/); a malformed escape is kept.
std::string url_decode(std::string_view s);

}  // namespace konnect
