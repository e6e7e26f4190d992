// Routes of HTTP targets and basic auth, as supervisorctl and Python's clients send them.

#include "daemon/http/basic_auth.hpp"
#include "daemon/http/http_request.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

TEST(HttpRoute, TargetsAndWhatTheyName) {
  EXPECT_EQ(route_of("/RPC2").kind, HttpRoute::Kind::Rpc);
  EXPECT_EQ(route_of("/RPC2?x").kind, HttpRoute::Kind::Rpc);
  EXPECT_EQ(route_of("/api").kind, HttpRoute::Kind::Api);
  EXPECT_EQ(route_of("/mainlogtail").kind, HttpRoute::Kind::MainLogTail);
  EXPECT_EQ(route_of("/metrics").kind, HttpRoute::Kind::Metrics);
  EXPECT_EQ(route_of("/").kind, HttpRoute::Kind::Page);
  EXPECT_EQ(route_of("/?x=1").kind, HttpRoute::Kind::Page);
  EXPECT_EQ(route_of("/events").kind, HttpRoute::Kind::Events);
  const HttpRoute tail = route_of("/logtail/worker%3Aworker_00/stderr");
  EXPECT_EQ(tail.kind, HttpRoute::Kind::LogTail);
  EXPECT_EQ(tail.name, "worker:worker_00");
  EXPECT_EQ(tail.stream, "stderr");
  EXPECT_EQ(route_of("/logtail/web").stream, "stdout");
  EXPECT_EQ(route_of("/logtail/web/other").kind, HttpRoute::Kind::NotFound);
  EXPECT_EQ(route_of("/logtail/").kind, HttpRoute::Kind::NotFound);
  EXPECT_EQ(route_of("/RPC2/x").kind, HttpRoute::Kind::NotFound);
  EXPECT_EQ(url_decode("a%2fb%zz%4"), "a/b%zz%4");
}

TEST(HttpRoute, LoopbackHostNames) {
  for (const char* host : {"127.0.0.1", "127.0.0.1:9001", "localhost", "LOCALHOST:80", "localhost.", "[::1]",
                           "[::1]:9001", "127.1.2.3:1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"", "evil.example", "evil.example:9001", "127.0.0.1.evil.example", "128.0.0.1", "127.0.0",
                           "127.0.0.256", "[::2]", "[::1", "[::1]x", "localhost.evil", "0x7f.0.0.1", "127..0.1"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(BasicAuth, ClearAndShaPasswords) {
  const Credentials clear{"admin", "s3cret"};
  const Credentials sha{"admin", "{SHA}fef341f85d87439e7d91a2d465b9871ef66b5e98"};
  for (const Credentials* c : {&clear, &sha}) {
    EXPECT_TRUE(c->accepts("Basic YWRtaW46czNjcmV0"));   // admin:s3cret
    EXPECT_TRUE(c->accepts("basic  YWRtaW46czNjcmV0"));  // any case, spaces
    EXPECT_FALSE(c->accepts("Basic YWRtaW46d3Jvbmc="));  // admin:wrong
    EXPECT_FALSE(c->accepts("Basic cm9vdDpzM2NyZXQ="));  // root:s3cret
    EXPECT_FALSE(c->accepts("Basic YWRtaW4="));          // no colon
    EXPECT_FALSE(c->accepts("Bearer YWRtaW46czNjcmV0"));
    EXPECT_FALSE(c->accepts("Basic !!!"));
  }
  EXPECT_EQ(sha1_hex("s3cret"), "fef341f85d87439e7d91a2d465b9871ef66b5e98");
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

}  // namespace
}  // namespace konnect
