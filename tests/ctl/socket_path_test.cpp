// tests ctl/socket_path.cpp: -s, then -c, then $KONNECT_SOCKET, then the default config,
// then /run/konnect/konnectd.sock. The default config path and the reader are injected.
#include "ctl/socket_path.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <unistd.h>
#include <vector>

namespace konnect::ctl {
namespace {

// Holds a temp dir with a file standing in for /etc/konnect/konnectd.toml, and a fake
// reader that records which config files it was asked to read.
struct SocketPathTest : ::testing::Test {
  void SetUp() override {
    char tmpl[] = "/tmp/konnectctl-socket-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir = tmpl;
    existing_config = dir / "konnectd.toml";
    std::ofstream(existing_config) << "[konnectd]\n";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  SocketSources sources() {
    SocketSources s;
    s.default_config = dir / "absent.toml";
    s.read_config = [this](const std::filesystem::path& file) -> Result<std::filesystem::path> {
      files_read.push_back(file);
      if (file.filename() == "broken.toml") {
        Error e = make_error(ErrorCode::Config, "expected '=' after key");
        e.file = file.string();
        e.line = 3;
        return e;
      }
      return std::filesystem::path("/from/" + file.filename().string() + ".sock");
    };
    return s;
  }

  std::filesystem::path resolve(const SocketSources& s) {
    auto choice = resolve_socket_path(s);
    EXPECT_TRUE(choice.has_value());
    if (!choice) return {};
    EXPECT_EQ(choice->warning, "");
    return choice->path;
  }

  std::filesystem::path dir;
  std::filesystem::path existing_config;
  std::vector<std::filesystem::path> files_read;
};

// Nothing given, no default config: the built-in path, and no file is read.
TEST_F(SocketPathTest, NothingGivenUsesBuiltInDefault) {
  EXPECT_EQ(resolve(sources()), "/run/konnect/konnectd.sock");
  EXPECT_TRUE(files_read.empty());
}

// -s wins over everything, without reading any config.
TEST_F(SocketPathTest, SocketOptionWinsOverAll) {
  SocketSources s = sources();
  s.socket_option = "/tmp/s.sock";
  s.config_option = "a.toml";
  s.env_socket = "/tmp/env.sock";
  s.default_config = existing_config;
  EXPECT_EQ(resolve(s), "/tmp/s.sock");
  EXPECT_TRUE(files_read.empty());
}

// -c beats $KONNECT_SOCKET and the default config; only FILE is read.
TEST_F(SocketPathTest, ConfigOptionBeatsEnvironment) {
  SocketSources s = sources();
  s.config_option = "/etc/other/a.toml";
  s.env_socket = "/tmp/env.sock";
  s.default_config = existing_config;
  EXPECT_EQ(resolve(s), "/from/a.toml.sock");
  EXPECT_EQ(files_read, std::vector<std::filesystem::path>{"/etc/other/a.toml"});
}

// A broken -c FILE is an error naming file and line (konnectctl exits 2).
TEST_F(SocketPathTest, ConfigOptionErrorIsReturned) {
  SocketSources s = sources();
  s.config_option = "/x/broken.toml";
  s.env_socket = "/tmp/env.sock";
  auto choice = resolve_socket_path(s);
  ASSERT_FALSE(choice.has_value());
  EXPECT_EQ(choice.error().to_string(), "/x/broken.toml:3: expected '=' after key");
}

// $KONNECT_SOCKET set: it beats the default config, which is not read.
TEST_F(SocketPathTest, EnvironmentSetBeatsDefaultConfig) {
  SocketSources s = sources();
  s.env_socket = "/tmp/env.sock";
  s.default_config = existing_config;
  EXPECT_EQ(resolve(s), "/tmp/env.sock");
  EXPECT_TRUE(files_read.empty());
}

// $KONNECT_SOCKET unset (empty) and the default config exists: its socket.
TEST_F(SocketPathTest, EnvironmentUnsetUsesExistingDefaultConfig) {
  SocketSources s = sources();
  s.default_config = existing_config;
  EXPECT_EQ(resolve(s), "/from/konnectd.toml.sock");
  EXPECT_EQ(files_read, std::vector<std::filesystem::path>{existing_config});
}

// A default config that exists but does not load: warn and fall back to the built-in path.
TEST_F(SocketPathTest, BrokenDefaultConfigWarnsAndFallsBack) {
  SocketSources s = sources();
  s.default_config = dir / "broken.toml";
  std::ofstream(s.default_config) << "oops\n";
  auto choice = resolve_socket_path(s);
  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->path, "/run/konnect/konnectd.sock");
  EXPECT_NE(choice->warning.find("expected '=' after key"), std::string::npos) << choice->warning;
  EXPECT_NE(choice->warning.find("using /run/konnect/konnectd.sock"), std::string::npos) << choice->warning;
}

// An empty default-config path skips that step.
TEST_F(SocketPathTest, EmptyDefaultConfigIsSkipped) {
  SocketSources s = sources();
  s.default_config.clear();
  EXPECT_EQ(resolve(s), "/run/konnect/konnectd.sock");
}

}  // namespace
}  // namespace konnect::ctl
