#include "daemon/health/net_probe.hpp"

#include "common/config/units.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>

namespace konnect {
namespace {

using tcp = boost::asio::ip::tcp;
namespace http = boost::beast::http;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// One attempt: its socket, resolver and deadline, kept alive by the handlers under way.
struct Attempt : std::enable_shared_from_this<Attempt> {
  Attempt(const boost::asio::any_io_executor& executor, Clock& clock, std::shared_ptr<const ProbeTarget> target,
          bool is_http, Probe::Done done)
      : socket(executor),
        resolver(executor),
        deadline(clock.make_deadline()),
        target_(std::move(target)),
        target(*target_),
        is_http(is_http),
        done(std::move(done)) {}

  void start(Duration limit) {
    deadline->arm(limit, [weak = weak_from_this(), limit] {
      if (auto self = weak.lock()) self->fail("timed out after " + format_duration(limit));
    });
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(target.host, ec);
    if (!ec) {
      socket.async_connect(tcp::endpoint(address, target.port),
                           [self = shared_from_this()](const boost::system::error_code& e) { self->on_connected(e); });
      return;
    }
    resolver.async_resolve(target.host, std::to_string(target.port),
                           [self = shared_from_this()](const boost::system::error_code& e, tcp::resolver::results_type r) {
                             if (e) return self->fail("cannot resolve " + self->target.host + ": " + e.message());
                             boost::asio::async_connect(self->socket, r,
                                                        [self](const boost::system::error_code& e2, const tcp::endpoint&) {
                                                          self->on_connected(e2);
                                                        });
                           });
  }

  std::string address() const {
    const bool v6 = target.host.find(':') != std::string::npos;
    return (v6 ? "[" + target.host + "]" : target.host) + ":" + std::to_string(target.port);
  }

  void on_connected(const boost::system::error_code& ec) {
    if (ec) return fail("connect to " + address() + ": " + ec.message());
    if (!is_http) return finish({});
    request.method(http::verb::get);
    request.target(target.path);
    request.version(11);
    request.set(http::field::host, address());
    request.set(http::field::user_agent, "konnectd");
    request.set(http::field::connection, "close");
    http::async_write(socket, request, [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
      if (e) return self->fail("GET " + self->target.text + ": " + e.message());
      self->parser.emplace();
      self->parser->header_limit(kHeaderLimit);
      http::async_read_header(self->socket, self->buffer, *self->parser,
                              [self](const boost::system::error_code& e2, std::size_t) { self->on_header(e2); });
    });
  }

  void on_header(const boost::system::error_code& ec) {
    if (ec) return fail("GET " + target.text + ": no HTTP answer (" + ec.message() + ")");
    const unsigned status = parser->get().result_int();
    if (status >= 200 && status < 400) return finish({});
    fail("GET " + target.text + " answered " + std::to_string(status));
  }

  void fail(std::string why) { finish(make_error(ErrorCode::Failed, std::move(why))); }

  void finish(Result<void> result) {
    if (!done) return;
    auto d = std::move(done);
    done = nullptr;
    close();
    d(std::move(result));
  }

  void cancel() {
    done = nullptr;
    close();
  }

  void close() {
    deadline->cancel();
    boost::system::error_code ec;
    socket.close(ec);
    resolver.cancel();
  }

  tcp::socket socket;
  tcp::resolver resolver;
  std::unique_ptr<Deadline> deadline;
  std::shared_ptr<const ProbeTarget> target_;  // shared with the probe: no copy per attempt
  const ProbeTarget& target;
  bool is_http;
  Probe::Done done;
  boost::beast::flat_buffer buffer;
  http::request<http::empty_body> request;
  std::optional<http::response_parser<http::empty_body>> parser;
};

class NetProbe final : public Probe {
 public:
  NetProbe(boost::asio::any_io_executor executor, Clock& clock, ProbeTarget target, bool is_http)
      : executor_(std::move(executor)),
        clock_(clock),
        target_(std::make_shared<const ProbeTarget>(std::move(target))),
        is_http_(is_http) {}
  ~NetProbe() override {
    if (current_) current_->cancel();
  }

  void run(Duration limit, Done done) override {
    if (current_) current_->cancel();
    current_ = std::make_shared<Attempt>(executor_, clock_, target_, is_http_, std::move(done));
    current_->start(limit);
  }

 private:
  boost::asio::any_io_executor executor_;
  Clock& clock_;
  std::shared_ptr<const ProbeTarget> target_;
  bool is_http_;
  std::shared_ptr<Attempt> current_;
};

}  // namespace

std::unique_ptr<Probe> make_tcp_probe(boost::asio::any_io_executor executor, Clock& clock, ProbeTarget target) {
  return std::make_unique<NetProbe>(std::move(executor), clock, std::move(target), false);
}

std::unique_ptr<Probe> make_http_probe(boost::asio::any_io_executor executor, Clock& clock, ProbeTarget target) {
  return std::make_unique<NetProbe>(std::move(executor), clock, std::move(target), true);
}

}  // namespace konnect
