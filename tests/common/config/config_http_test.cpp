// [konnectd] http, http_username, http_password and supervisor_socket (issue 18): what is
// accepted, what an address others can reach needs, and the errors.

#include "tests/common/config/config_test_util.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using ConfigHttp = testing::ConfigTest;

TEST_F(ConfigHttp, LoopbackNeedsNoCredentials) {
  auto c = load("[konnectd]\nhttp = \"127.0.0.1:9001\"\nsupervisor_socket = \"run/supervisor.sock\"\n");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->daemon.http, "127.0.0.1:9001");
  EXPECT_EQ(c->daemon.supervisor_socket, path("run/supervisor.sock"));
  for (const char* ok : {"localhost:1", "[::1]:9001", "127.0.0.2:80"}) {
    EXPECT_TRUE(load(std::string("[konnectd]\nhttp = \"") + ok + "\"\n")) << ok;
  }
}

TEST_F(ConfigHttp, OthersReachNeedsBothCredentials) {
  const std::string file = path("konnectd.toml");
  for (const char* open : {"0.0.0.0:9001", "*:9001", ":9001", "192.168.1.5:9001", "[::]:9001"}) {
    auto e = load(std::string("[konnectd]\nhttp = \"") + open + "\"\n");
    ASSERT_FALSE(e) << open;
    EXPECT_CONFIG_ERROR(e.error(), file, 2, "konnectd.http", "not a loopback address");
  }
  auto c = load("[konnectd]\nhttp = \"*:9001\"\nhttp_username = \"admin\"\nhttp_password = \"{SHA}abc\"\n");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->daemon.http_username, "admin");
  EXPECT_EQ(c->daemon.http_password, "{SHA}abc");
  auto e = load("[konnectd]\nhttp = \"127.0.0.1:9001\"\nhttp_username = \"admin\"\n");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("go together"), std::string::npos);
}

TEST_F(ConfigHttp, BadAddressesNameWhatIsAccepted) {
  const std::string file = path("konnectd.toml");
  for (const char* bad : {"9001", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http"}) {
    auto e = load(std::string("[konnectd]\nhttp = \"") + bad + "\"\n");
    ASSERT_FALSE(e) << bad;
    EXPECT_CONFIG_ERROR(e.error(), file, 2, "konnectd.http", "expected an address such as \"127.0.0.1:9001\"");
  }
  auto e = load("[konnectd]\nhttp = 9001\n");
  ASSERT_FALSE(e);
  EXPECT_CONFIG_ERROR(e.error(), file, 2, "konnectd.http", "expected a string");
}

}  // namespace
}  // namespace konnect
