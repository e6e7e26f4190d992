#pragma once
// What konnectd serves over HTTP (SPEC.md "HTTP"), whichever listener a request came in on:
// who the client is (the Unix socket's peer credentials, or basic auth on TCP), then the
// route: GET / the web page and GET /events its live state changes, POST /RPC2 supervisord's
// XML-RPC (RpcInterface), POST /api one request of the wire protocol as JSON, GET /logtail
// and /mainlogtail, GET /metrics. Every request goes through the control protocol's RequestHandler, so the
// access rules and the commands are the control socket's own.

#include "daemon/control/access_policy.hpp"
#include "daemon/http/basic_auth.hpp"
#include "daemon/http/http_request.hpp"
#include "daemon/http/rpc_interface.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <optional>

namespace konnect {

class RequestHandler;
class DaemonControl;
class MetricsCollector;
class Supervisor;

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HttpStatus = boost::beast::http::status;

// Who is on the other end: a Unix socket's peer has its access already (peer credentials);
// a TCP client gets it from basic auth.
struct HttpPeer {
  std::optional<Access> unix_access;
};

// How a request is answered: once (respond), or as a stream (tail -f: begin with the head,
// then chunks until the client goes). chunk returns false once the client is gone; on_gone
// runs when it goes (at once if it has).
struct HttpReply {
  std::function<void(HttpResponse)> respond;
  std::function<void(HttpResponse head)> begin_stream;
  std::function<bool(std::string chunk)> chunk;
  std::function<void(std::function<void()>)> on_gone;
};

class HttpService {
 public:
  HttpService(RequestHandler& handler, Supervisor& supervisor, DaemonControl& daemon, MetricsCollector& metrics);

  // [konnectd] http_username/http_password; none: a TCP client needs none (loopback only,
  // the config loader sees to that). /metrics asks for them only with metrics_auth.
  void set_credentials(std::optional<Credentials> credentials, bool metrics_auth) {
    credentials_ = std::move(credentials);
    metrics_auth_ = metrics_auth;
  }
  // The web page's token (daemon/web/web_page.hpp): a browser's POST must carry it.
  void set_web_token(std::string token) { token_ = std::move(token); }
  const std::string& web_token() const { return token_; }

  // Answers req; done may be called later (a start that waits). done is called exactly once.
  void handle(const HttpRequest& req, const HttpPeer& peer, HttpReply reply);

  // An answer with a plain-text body (errors, 404...).
  static HttpResponse text_response(HttpStatus status, unsigned version, std::string body);

 private:
  void serve_api(const HttpRequest& req, Access access, std::function<void(HttpResponse)> done);
  // GET /logtail/NAME[/stdout|/stderr] and /mainlogtail: supervisorctl's tail -f and
  // maintail -f, the last 1024 bytes and then everything written, chunked, until the client
  // goes.
  void serve_logtail(const HttpRequest& req, const HttpRoute& route, Access access, HttpReply reply);

  // GET /: the web page, with the token in it.
  void serve_page(const HttpRequest& req, const std::function<void(HttpResponse)>& done);
  // GET /events: state changes as server-sent events, for the page.
  void serve_events(const HttpRequest& req, Access access, HttpReply reply);
  // GET /metrics: Prometheus' text format (daemon/metrics/), made off the loop.
  void serve_metrics(const HttpRequest& req, std::function<void(HttpResponse)> done);

  RequestHandler& handler_;
  RpcInterface rpc_;
  MetricsCollector& metrics_;
  std::optional<Credentials> credentials_;
  bool metrics_auth_ = false;
  std::string token_;
};

}  // namespace konnect
