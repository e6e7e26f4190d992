// The tcp and http probes against real loopback servers on an io_context the test runs: a
// connect that works, one that is refused, the HTTP status classes, a server that never
// answers (timed out on the fake clock), and a probe destroyed while it waits.

#include "daemon/health/net_probe.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include <optional>

namespace konnect {
namespace {

using namespace std::chrono_literals;
using tcp = boost::asio::ip::tcp;

struct NetProbeTest : ::testing::Test {
  boost::asio::io_context io;
  test::FakeClock clock;
  tcp::acceptor acceptor{io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)};
  std::string answer;  // what the server writes after the request; "" = never answers
  std::vector<std::shared_ptr<tcp::socket>> held;

  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  void serve() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      auto socket = std::make_shared<tcp::socket>(std::move(s));
      held.push_back(socket);
      auto buf = std::make_shared<boost::asio::streambuf>();
      boost::asio::async_read_until(*socket, *buf, "\r\n\r\n", [this, socket, buf](boost::system::error_code e, std::size_t) {
        if (e || answer.empty()) return;
        boost::asio::async_write(*socket, boost::asio::buffer(answer), [socket](boost::system::error_code, std::size_t) {
          socket->shutdown(tcp::socket::shutdown_both);
        });
      });
      serve();
    });
  }

  ProbeTarget target(ProbeTarget::Kind kind, std::uint16_t p) {
    ProbeTarget t;
    t.kind = kind;
    t.host = "127.0.0.1";
    t.port = p;
    t.path = "/ready";
    t.text = "http://127.0.0.1:" + std::to_string(p) + "/ready";
    return t;
  }

  // Runs one attempt to its end.
  std::optional<Result<void>> once(Probe& probe) {
    std::optional<Result<void>> result;
    probe.run(2s, [&](Result<void> r) { result = std::move(r); });
    io.restart();
    for (int i = 0; i < 2000 && !result; ++i) io.run_for(5ms);
    return result;
  }
};

TEST_F(NetProbeTest, TcpConnects) {
  serve();
  auto probe = make_tcp_probe(io.get_executor(), clock, target(ProbeTarget::Kind::Tcp, port()));
  auto r = once(*probe);
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
}

TEST_F(NetProbeTest, TcpRefusedSaysWhere) {
  const auto closed = port();
  acceptor.close();
  auto probe = make_tcp_probe(io.get_executor(), clock, target(ProbeTarget::Kind::Tcp, closed));
  auto r = once(*probe);
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().message, "connect to 127.0.0.1:" + std::to_string(closed) + ": Connection refused");
}

TEST_F(NetProbeTest, HttpStatusClasses) {
  serve();
  auto probe = make_http_probe(io.get_executor(), clock, target(ProbeTarget::Kind::Http, port()));
  for (const auto& [status, ok] : std::vector<std::pair<std::string, bool>>{
           {"200 OK", true}, {"204 No Content", true}, {"301 Moved", true}, {"404 Not Found", false}, {"503 Busy", false}}) {
    answer = "HTTP/1.1 " + status + "\r\nContent-Length: 0\r\n\r\n";
    auto r = once(*probe);
    ASSERT_TRUE(r) << status;
    EXPECT_EQ(bool(*r), ok) << status;
    if (!ok) {
      EXPECT_NE(r->error().message.find("answered " + status.substr(0, 3)), std::string::npos);
    }
  }
}

TEST_F(NetProbeTest, HttpGarbageIsAFailure) {
  serve();
  answer = "SSH-2.0-OpenSSH\r\n\r\n";
  auto probe = make_http_probe(io.get_executor(), clock, target(ProbeTarget::Kind::Http, port()));
  auto r = once(*probe);
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_NE(r->error().message.find("no HTTP answer"), std::string::npos) << r->error().message;
}

TEST_F(NetProbeTest, SilentServerTimesOut) {
  serve();  // accepts, reads, never answers
  auto probe = make_http_probe(io.get_executor(), clock, target(ProbeTarget::Kind::Http, port()));
  std::optional<Result<void>> result;
  probe->run(2s, [&](Result<void> r) { result = std::move(r); });
  for (int i = 0; i < 40 && held.empty(); ++i) io.run_for(5ms);
  io.run_for(20ms);
  EXPECT_FALSE(result);
  clock.advance(2s);
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().message, "timed out after 2s");
}

TEST_F(NetProbeTest, DestroyedProbeNeverCallsBack) {
  serve();
  auto probe = make_http_probe(io.get_executor(), clock, target(ProbeTarget::Kind::Http, port()));
  bool called = false;
  probe->run(2s, [&](Result<void>) { called = true; });
  io.run_for(20ms);
  probe.reset();
  clock.advance(5s);
  io.run_for(50ms);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace konnect
