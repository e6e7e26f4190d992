// libFuzzer target: what konnectd makes of the bytes an HTTP client sends, before anyone
// acts on them: Beast's request parser with konnectd's limits (daemon/http/http_request),
// the route of its target, whether its Host is a loopback name, basic auth of its
// Authorization header, and an /RPC2 body's XML-RPC call. Hostile input is an error, never a crash.

#include "common/xmlrpc/xmlrpc.hpp"
#include "daemon/http/basic_auth.hpp"
#include "daemon/http/http_request.hpp"

#include <boost/asio/buffer.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  konnect::HttpRequestParser parser;
  konnect::HttpLimits limits;
  limits.header_bytes = 2048;
  limits.body_bytes = 4096;
  konnect::apply_limits(parser, limits);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == boost::beast::http::error::need_more) break;
    if (ec || n == 0) return 0;
    used += n;
  }
  if (!parser.is_done()) return 0;
  const auto& req = parser.get();
  const konnect::HttpRoute route = konnect::route_of(std::string_view(req.target().data(), req.target().size()));
  if (route.kind == konnect::HttpRoute::Kind::LogTail && route.name.empty()) __builtin_trap();
  const auto host = req[boost::beast::http::field::host];
  (void)konnect::is_loopback_host(std::string_view(host.data(), host.size()));
  const konnect::Credentials credentials{"admin", "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98"};
  if (const auto it = req.find(boost::beast::http::field::authorization); it != req.end()) {
    (void)credentials.accepts(std::string_view(it->value().data(), it->value().size()));
  }
  if (route.kind == konnect::HttpRoute::Kind::Rpc) (void)konnect::xmlrpc::parse_method_call(req.body());
  return 0;
}
