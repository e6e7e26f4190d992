// tests ctl/client.cpp against an in-test socket server (fake_daemon.hpp).
#include "ctl/client.hpp"

#include "fake_daemon.hpp"

#include <gtest/gtest.h>

namespace konnect::ctl {
namespace {

using testing::FakeDaemon;
using testing::Script;

Request status_request() {
  Request r;
  r.id = 1;
  r.cmd = "status";
  return r;
}

// The request leaves as exactly one line; the answer line comes back without its '\n'.
TEST(ClientTest, SendsOneLineAndReadsAnswer) {
  FakeDaemon daemon(Script{{"{\"id\":1,\"ok\":true,\"result\":{\"processes\":[]}}\n"}});
  auto client = Client::connect(daemon.socket());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto line = client->call(status_request());
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(*line, "{\"id\":1,\"ok\":true,\"result\":{\"processes\":[]}}");
  daemon.join();
  const std::string& request = daemon.request();
  ASSERT_FALSE(request.empty());
  EXPECT_EQ(request.find('\n'), request.size() - 1) << request;
  EXPECT_EQ(Json::parse(request), Json::parse(R"({"id":1,"cmd":"status"})"));
}

// An answer arriving in pieces is put back together.
TEST(ClientTest, AnswerInSeveralWritesIsOneLine) {
  FakeDaemon daemon(Script{{"{\"id\":1,", "\"ok\":true,", "\"result\":{}}\r\n"}});
  auto client = Client::connect(daemon.socket());
  ASSERT_TRUE(client.has_value());
  auto line = client->call(status_request());
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(*line, "{\"id\":1,\"ok\":true,\"result\":{}}");
}

// A large answer (bigger than one 64 KiB read) arrives whole.
TEST(ClientTest, LargeAnswerArrivesWhole) {
  std::string big = "{\"id\":1,\"ok\":true,\"result\":\"" + std::string(300 * 1024, 'x') + "\"}";
  FakeDaemon daemon(Script{{big + "\n"}});
  auto client = Client::connect(daemon.socket());
  ASSERT_TRUE(client.has_value());
  auto line = client->call(status_request());
  ASSERT_TRUE(line.has_value()) << line.error().message;
  EXPECT_EQ(line->size(), big.size());
}

// No socket file: an Io error worded as konnectctl prints it.
TEST(ClientTest, CannotConnectIsUnreachable) {
  auto client = Client::connect("/nonexistent-konnect-dir/konnectd.sock");
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Io);
  EXPECT_EQ(client.error().message,
            "cannot connect to /nonexistent-konnect-dir/konnectd.sock: No such file or directory");
}

// A socket file with nobody listening (a daemon that died) is unreachable too.
TEST(ClientTest, StaleSocketIsUnreachable) {
  char tmpl[] = "/tmp/konnectctl-stale-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::filesystem::path dir = tmpl;
  std::filesystem::path stale = dir / "konnectd.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, stale.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);  // the file stays, nobody listens: ECONNREFUSED
  auto client = Client::connect(stale);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Io);
  EXPECT_EQ(client.error().message, "cannot connect to " + stale.string() + ": Connection refused");
}

// A path longer than sun_path cannot be connected to, and says so.
TEST(ClientTest, OverlongPathIsUnreachable) {
  auto client = Client::connect("/tmp/" + std::string(200, 'p'));
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Io);
  EXPECT_NE(client.error().message.find("File name too long"), std::string::npos);
}

// The daemon closes the connection without answering: Io (exit 4), not a hang.
TEST(ClientTest, ConnectionClosedBeforeAnswerIsUnreachable) {
  FakeDaemon daemon(Script{});
  auto client = Client::connect(daemon.socket());
  ASSERT_TRUE(client.has_value());
  auto line = client->call(status_request());
  ASSERT_FALSE(line.has_value());
  EXPECT_EQ(line.error().code, ErrorCode::Io);
  EXPECT_EQ(line.error().message, "connection to " + daemon.socket().string() + " closed before an answer");
}

// Half a line and then EOF is no answer either.
TEST(ClientTest, PartialAnswerThenCloseIsUnreachable) {
  FakeDaemon daemon(Script{{"{\"id\":1,\"ok\":tr"}});
  auto client = Client::connect(daemon.socket());
  ASSERT_TRUE(client.has_value());
  auto line = client->call(status_request());
  ASSERT_FALSE(line.has_value());
  EXPECT_EQ(line.error().code, ErrorCode::Io);
}

// wait_for_close() returns once the daemon closes, after it lingered with the line open.
TEST(ClientTest, WaitForCloseReturnsAtEof) {
  FakeDaemon daemon(Script{{"{\"id\":1,\"ok\":true,\"result\":{}}\n", "trailing bytes"}, /*linger_ms=*/200});
  auto client = Client::connect(daemon.socket());
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE(client->call(status_request()).has_value());
  client->wait_for_close();
  daemon.join();
  EXPECT_TRUE(daemon.served());
  EXPECT_FALSE(daemon.client_hung_up_first());
}

}  // namespace
}  // namespace konnect::ctl
