#include "daemon/http/http_server.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <functional>

namespace konnect {

using boost::asio::ip::tcp;

Result<tcp::endpoint> parse_http_address(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return make_error(ErrorCode::Config, "expected HOST:PORT such as \"127.0.0.1:9001\"");
  std::string host = address.substr(0, colon);
  const std::string port_text = address.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return make_error(ErrorCode::Config, "'" + port_text + "' is not a port number (0-65535)");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "*") return tcp::endpoint(tcp::v6(), static_cast<unsigned short>(port));
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code bad;
  const auto ip = boost::asio::ip::make_address(host, bad);
  if (bad) return make_error(ErrorCode::Config, "'" + host + "' is not an IP address (or localhost, or * for every address)");
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

HttpServer::HttpServer(boost::asio::any_io_executor executor, HttpService& service, HttpLimits limits)
    : acceptor_(executor), retry_timer_(executor), service_(service), limits_(limits) {}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::listen(const std::string& address) {
  auto endpoint = parse_http_address(address);
  if (!endpoint) return endpoint.error();
  boost::system::error_code ec;
  acceptor_.open(endpoint->protocol(), ec);
  if (!ec && endpoint->address().is_v6()) acceptor_.set_option(boost::asio::ip::v6_only(false), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error(ErrorCode::Io, "cannot listen on " + address + " ([konnectd] http): " + ec.message());
  spdlog::info("Serving HTTP on {}", address);
  do_accept();
  return {};
}

void HttpServer::pause() {
  boost::system::error_code ec;
  acceptor_.cancel(ec);
}

Result<void> HttpServer::adopt(int fd) {
  boost::system::error_code ec;
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  acceptor_.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) return make_error(ErrorCode::Io, "cannot take over the HTTP socket: " + ec.message());
  do_accept();
  return {};
}

unsigned short HttpServer::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void HttpServer::do_accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec == boost::asio::error::no_descriptors || ec.value() == ENFILE) {
      spdlog::warn("Failed to accept an HTTP connection: {}; pausing accepts for 100 ms", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](const boost::system::error_code& e) {
        if (!e) do_accept();
      });
      return;
    }
    if (!ec) admit(std::move(socket));
    do_accept();
  });
}

void HttpServer::admit(tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::uint64_t who = std::hash<std::string>{}(remote.address().to_string());
  socket.set_option(tcp::no_delay(true), ec);
  const auto protocol = socket.local_endpoint(ec).protocol();
  HttpSession::Socket generic(acceptor_.get_executor());
  const int fd = socket.release(ec);
  if (ec) return;
  generic.assign(boost::asio::generic::stream_protocol(protocol.family(), IPPROTO_TCP), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  auto entry = std::make_shared<Entry>();
  std::weak_ptr<Entry> weak = entry;
  entry->session = std::make_shared<HttpSession>(
      std::move(generic), service_, HttpPeer{}, limits_,
      HttpSession::Hooks{[weak](bool busy) {
                           if (auto e = weak.lock()) e->slot.set_busy(busy);
                         },
                         [this, weak] {
                           if (auto e = weak.lock()) sessions_.erase(e->session.get());
                         }});
  auto admission = pool_.admit(PeerKey{who, false}, [this, weak] {
    // The longest idle session makes room for a newcomer.
    if (auto e = weak.lock()) {
      e->session->stop();
      sessions_.erase(e->session.get());
    }
  });
  if (std::holds_alternative<ClientPool::Refusal>(admission)) {
    spdlog::debug("Refused an HTTP connection from {}: too many clients", remote.address().to_string());
    HttpResponse res = HttpService::text_response(HttpStatus::service_unavailable, 11, "503 too many clients\n");
    entry->session->refuse_now(std::move(res));
    return;
  }
  entry->slot = std::move(std::get<ClientPool::Slot>(admission));
  sessions_.emplace(entry->session.get(), entry);
  entry->session->start();
}

void HttpServer::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  retry_timer_.cancel();
  auto sessions = std::move(sessions_);
  sessions_.clear();
  for (auto& [ptr, e] : sessions) e->session->stop();
}

}  // namespace konnect
