#include "daemon/http/http_service.hpp"

#include "daemon/control/request_handler.hpp"
#include "daemon/metrics/metrics_collector.hpp"
#include "daemon/web/web_page.hpp"
#include "version.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <algorithm>
#include <initializer_list>

namespace konnect {

namespace http = boost::beast::http;

HttpService::HttpService(RequestHandler& handler, Supervisor& supervisor, DaemonControl& daemon,
                         MetricsCollector& metrics)
    : handler_(handler), rpc_(handler, supervisor, daemon), metrics_(metrics) {}

HttpResponse HttpService::text_response(HttpStatus status, unsigned version, std::string body) {
  HttpResponse res{status, version};
  res.set(http::field::server, std::string("konnectd/") + kVersion);
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(body);
  return res;
}

void HttpService::handle(const HttpRequest& req, const HttpPeer& peer, HttpReply reply) {
  const unsigned version = req.version();
  auto done = reply.respond;
  const HttpRoute route = route_of(std::string_view(req.target().data(), req.target().size()));
  // Who: the Unix socket's peer as the control socket judges it; on TCP, basic auth (but
  // for /metrics, unless metrics_auth: a Prometheus server scrapes without).
  Access access = Access::Full;
  if (peer.unix_access) {
    access = *peer.unix_access;
  } else if (!credentials_) {
    // No credentials: the address is loopback (the config loader sees to that), and so must
    // be the name the request was sent to, or a page from another site whose name was made to
    // resolve to 127.0.0.1 (DNS rebinding) could read the page's token and act.
    const auto host = req[http::field::host];
    if (!is_loopback_host(std::string_view(host.data(), host.size()))) {
      return done(text_response(HttpStatus::forbidden, version,
                                "403 Forbidden: Host '" + std::string(host.substr(0, 100)) +
                                    "' is not 127.0.0.1, [::1] or localhost; konnectd without http_username and "
                                    "http_password answers only those (DNS rebinding)\n"));
    }
  } else if (route.kind != HttpRoute::Kind::Metrics || metrics_auth_) {
    const auto it = req.find(http::field::authorization);
    if (it == req.end() || !credentials_->accepts(it->value())) {
      HttpResponse res = text_response(HttpStatus::unauthorized, version, "401 Unauthorized\n");
      res.set(http::field::www_authenticate, "Basic realm=\"konnectd\"");
      return done(std::move(res));
    }
  }
  if (access == Access::None) {
    return done(text_response(HttpStatus::forbidden, version, "403 Forbidden: this user may not use konnectd\n"));
  }

  const auto only = [&](std::initializer_list<http::verb> verbs, const char* allow) {
    if (std::find(verbs.begin(), verbs.end(), req.method()) != verbs.end()) return true;
    HttpResponse res = text_response(HttpStatus::method_not_allowed, version,
                                     std::string("405 Method Not Allowed: ") + allow + " only\n");
    res.set(http::field::allow, allow);
    done(std::move(res));
    return false;
  };
  switch (route.kind) {
    case HttpRoute::Kind::Page:
      if (only({http::verb::get, http::verb::head}, "GET, HEAD")) serve_page(req, done);
      return;
    case HttpRoute::Kind::Events:
      if (only({http::verb::get}, "GET")) serve_events(req, access, std::move(reply));
      return;
    case HttpRoute::Kind::Rpc:
    case HttpRoute::Kind::Api: {
      if (!only({http::verb::post}, "POST")) return;
      // A browser says where a request comes from (Origin, Sec-Fetch-Site); one that does
      // acts only with the page's token, so another site's page cannot make the browser act
      // with the user's credentials (CSRF). Other clients send neither and need none.
      const bool from_browser = req.find(http::field::origin) != req.end() || req.find("Sec-Fetch-Site") != req.end();
      if (from_browser && !token_matches(std::string_view(req["X-Konnect-Token"].data(), req["X-Konnect-Token"].size()),
                                         token_)) {
        return done(text_response(HttpStatus::forbidden, version,
                                  "403 Forbidden: a browser's request needs the page's token (X-Konnect-Token)\n"));
      }
      if (route.kind == HttpRoute::Kind::Api) return serve_api(req, access, done);
      return rpc_.call(req.body(), access, [done, version](std::string xml) {
        HttpResponse res{HttpStatus::ok, version};
        res.set(http::field::server, std::string("konnectd/") + kVersion);
        res.set(http::field::content_type, "text/xml");
        res.body() = std::move(xml);
        done(std::move(res));
      });
    }
    case HttpRoute::Kind::LogTail:
    case HttpRoute::Kind::MainLogTail:
      if (only({http::verb::get}, "GET")) serve_logtail(req, route, access, std::move(reply));
      return;
    case HttpRoute::Kind::Metrics:
      if (only({http::verb::get, http::verb::head}, "GET, HEAD")) serve_metrics(req, done);
      return;
    case HttpRoute::Kind::NotFound:
      break;
  }
  done(text_response(HttpStatus::not_found, version, "404 Not Found\n"));
}

void HttpService::serve_page(const HttpRequest& req, const std::function<void(HttpResponse)>& done) {
  HttpResponse res{HttpStatus::ok, req.version()};
  res.set(http::field::server, std::string("konnectd/") + kVersion);
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  // Everything is in the page: nothing may load from elsewhere, and no other site may frame it.
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
          "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.body() = web_page(token_);
  done(std::move(res));
}

// GET /events: the control protocol's `events` as server-sent events, one `data:` line per
// state change (and per {"skipped": N}), until the client goes.
void HttpService::serve_events(const HttpRequest& req, Access access, HttpReply reply) {
  const unsigned version = req.version();
  auto state = std::make_shared<HttpReply>(std::move(reply));
  auto begun = std::make_shared<bool>(false);
  handler_.handle_line(
      R"({"id":0,"cmd":"events","args":{}})", access,
      Responder(
          [state, begun, version](std::string answer_line, bool more) {
            const Json answer = Json::parse(answer_line, nullptr, false);
            const bool ok = answer.is_object() && answer.value("ok", false) && answer.contains("result");
            if (!*begun) {
              if (!ok) {
                state->respond(text_response(HttpStatus::forbidden, version, "403 Forbidden: " + answer_line + "\n"));
                return false;
              }
              *begun = true;
              HttpResponse head{HttpStatus::ok, version};
              head.set(http::field::server, std::string("konnectd/") + kVersion);
              head.set(http::field::content_type, "text/event-stream");
              head.set(http::field::cache_control, "no-store");
              state->begin_stream(std::move(head));
              return state->chunk(": konnectd events\n\n") && more;
            }
            if (!ok || !more) {
              state->chunk(std::string());
              return false;
            }
            const Json& result = answer["result"];
            const Json& data = result.contains("event") ? result["event"] : result;
            return state->chunk("data: " + data.dump() + "\n\n");
          },
          [state](std::function<void()> gone) {
            if (state->on_gone) state->on_gone(std::move(gone));
          }));
}

void HttpService::serve_logtail(const HttpRequest& req, const HttpRoute& route, Access access, HttpReply reply) {
  const unsigned version = req.version();
  const Json line =
      route.kind == HttpRoute::Kind::MainLogTail
          ? Json{{"id", 0}, {"cmd", "maintail"}, {"args", {{"lines", 1000}, {"follow", true}}}}
          : Json{{"id", 0},
                 {"cmd", "tail"},
                 {"args", {{"name", route.name}, {"stream", route.stream}, {"bytes", 1024}, {"follow", true}}}};
  struct State {
    HttpReply reply;
    bool begun = false;
  };
  auto state = std::make_shared<State>();
  state->reply = std::move(reply);
  handler_.handle_line(
      line.dump(), access,
      Responder(
          [state, version](std::string answer_line, bool more) {
            const Json answer = Json::parse(answer_line, nullptr, false);
            if (!state->begun) {
              if (!answer.is_object() || !answer.value("ok", false)) {
                const std::string why = answer.is_object() && answer.contains("error")
                                            ? answer["error"].value("message", std::string("failed"))
                                            : std::string("failed");
                state->reply.respond(text_response(HttpStatus::not_found, version, "404 Not Found: " + why + "\n"));
                return false;
              }
              state->begun = true;
              HttpResponse head = text_response(HttpStatus::ok, version, "");
              state->reply.begin_stream(std::move(head));
              std::string data = answer["result"].value("data", std::string());
              if (data.size() > 1024) data = data.substr(data.size() - 1024);
              if (!data.empty() && !state->reply.chunk(std::move(data))) return false;
              return more;
            }
            if (!more) {  // the stream ended (its program was removed): the last, empty chunk
              state->reply.chunk(std::string());
              return false;
            }
            const std::string data = answer.is_object() && answer.contains("result") ? answer["result"].value("data", std::string()) : std::string();
            return data.empty() || state->reply.chunk(data);
          },
          [state](std::function<void()> gone) {
            if (state->reply.on_gone) state->reply.on_gone(std::move(gone));
          }));
}

void HttpService::serve_metrics(const HttpRequest& req, std::function<void(HttpResponse)> done) {
  metrics_.scrape([version = req.version(), done = std::move(done)](std::string text) {
    HttpResponse res{HttpStatus::ok, version};
    res.set(http::field::server, std::string("konnectd/") + kVersion);
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = std::move(text);
    done(std::move(res));
  });
}

// /api: the body is one request line of the control protocol; the answer is its answer line.
// A streamed answer (tail -f, events, wait) is not for this endpoint: its first piece ends it.
void HttpService::serve_api(const HttpRequest& req, Access access, std::function<void(HttpResponse)> done) {
  const unsigned version = req.version();
  auto once = std::make_shared<std::function<void(HttpResponse)>>(std::move(done));
  std::string line = req.body();
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.find('\n') != std::string::npos) {
    return (*once)(text_response(HttpStatus::bad_request, version, "one request per POST /api\n"));
  }
  // One request, one answer: what streams (tail -f, maintail -f, events, wait) or answers from
  // the next image (reexec) is for the control socket.
  const Json request = Json::parse(line, nullptr, false);
  if (request.is_object() && request.contains("cmd") && request["cmd"].is_string()) {
    const std::string cmd = request["cmd"];
    const Json& args = request.contains("args") && request["args"].is_object() ? request["args"] : Json::object();
    const bool follows = (cmd == "tail" || cmd == "maintail") && args.contains("follow") &&
                         args["follow"].is_boolean() && args["follow"].get<bool>();
    if (follows || cmd == "events" || cmd == "wait" || cmd == "reexec") {
      return (*once)(text_response(HttpStatus::bad_request, version,
                                   "'" + cmd + (follows ? " -f" : "") +
                                       "' is not served over POST /api (it streams, or the next image answers it); "
                                       "use the control socket\n"));
    }
  }
  handler_.handle_line(line, access, Responder([once, version](std::string answer, bool) {
                         if (!*once) return false;
                         HttpResponse res{HttpStatus::ok, version};
                         res.set(http::field::server, std::string("konnectd/") + kVersion);
                         res.set(http::field::content_type, "application/json");
                         res.body() = std::move(answer);
                         auto done = std::move(*once);
                         *once = nullptr;
                         done(std::move(res));
                         return false;  // nothing more: a stream ends here
                       }));
}

}  // namespace konnect
