// sockets = [...]: every address form in canonical spelling, the table form's keys and
// defaults, and the errors (bad address, bad key, a socket held twice, within one program or
// by two) with file, line and key.

#include "common/config/config_sockets.hpp"
#include "tests/common/config/config_test_util.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

using ConfigSockets = testing::ConfigTest;

TEST_F(ConfigSockets, AddressFormsAreReadInCanonicalSpelling) {
  const ProgramConfig p = program(
      "command = \"/bin/true\"\n"
      "sockets = [\"tcp://127.0.0.1:9090\", \"tcp://[0:0::1]:9091\", \"tcp://*:9092\", \"unix:run/web.sock\",\n"
      "  { address = \"unix:/tmp/k.sock\", name = \"admin\", backlog = 16, mode = \"0660\" }]");
  ASSERT_EQ(p.sockets.size(), 5u);
  EXPECT_EQ(p.sockets[0].address, "tcp://127.0.0.1:9090");
  EXPECT_EQ(p.sockets[0].host, "127.0.0.1");
  EXPECT_EQ(p.sockets[0].port, 9090);
  EXPECT_EQ(p.sockets[0].name, "web") << "a name left out is the program's";
  EXPECT_EQ(p.sockets[0].backlog, 4096);
  EXPECT_EQ(p.sockets[1].address, "tcp://[::1]:9091");
  EXPECT_EQ(p.sockets[2].address, "tcp://*:9092");
  EXPECT_EQ(p.sockets[2].host, "");
  EXPECT_EQ(p.sockets[3].kind, SocketConfig::Kind::Unix);
  EXPECT_EQ(p.sockets[3].address, "unix:" + path("run/web.sock")) << "relative to the file's directory";
  EXPECT_EQ(p.sockets[4].name, "admin");
  EXPECT_EQ(p.sockets[4].backlog, 16);
  EXPECT_EQ(p.sockets[4].mode, 0660);
  EXPECT_EQ(p.sockets_line, 3);
}

TEST_F(ConfigSockets, AChangeOfSocketsRestartsTheProgram) {
  const ProgramConfig a = program("command = \"/bin/true\"\nsockets = [\"tcp://127.0.0.1:9090\"]");
  ProgramConfig b = a;
  b.sockets[0].backlog = 10;
  EXPECT_FALSE(a == b);
  EXPECT_TRUE(needs_restart(a, b));
}

TEST_F(ConfigSockets, BadValuesNameKeyAndWhatIsAccepted) {
  const std::string file = path("konnectd.toml");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = \"tcp://127.0.0.1:1\""), file, 3,
                      "program.web.sockets", "expected an array of socket addresses or tables");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [\"127.0.0.1:9090\"]"), file, 3,
                      "program.web.sockets", "expected an address such as \"tcp://127.0.0.1:9090\"");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [\"tcp://localhost:9090\"]"), file, 3,
                      "program.web.sockets", "'localhost' in 'tcp://localhost:9090' is not an IP address");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [\"tcp://127.0.0.1:0\"]"), file, 3,
                      "program.web.sockets", "invalid port in 'tcp://127.0.0.1:0'");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [\"tcp://[::1:9090\"]"), file, 3,
                      "program.web.sockets", "is not an IPv6 address");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [{ address = \"tcp://*:80\", mode = \"0600\" }]"),
                      file, 3, "program.web.sockets.mode", "mode applies to unix sockets only");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [{ address = \"unix:/x\", port = 1 }]"), file, 3,
                      "program.web.sockets.port", "unknown key; accepted keys: address, name, backlog, mode");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [{ name = \"http\" }]"), file, 3,
                      "program.web.sockets", "missing required key 'address'");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [{ address = \"unix:/x\", name = \"a:b\" }]"),
                      file, 3, "program.web.sockets.name", "printable ASCII without spaces or ':'");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [\"unix:/" + std::string(120, 'x') + "\"]"),
                      file, 3, "program.web.sockets", "is too long");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nsockets = [\"tcp://127.0.0.1:9090\",\n  \"tcp://*:9090\"]"),
                      file, 4, "program.web.sockets", "tcp://*:9090 collides with tcp://127.0.0.1:9090, listed before it");
}

TEST_F(ConfigSockets, TwoProgramsCannotHoldOneAddress) {
  const std::string file = path("konnectd.toml");
  auto r = load("[program.a]\ncommand = \"/bin/true\"\nsockets = [\"tcp://*:9090\"]\n"
                "[program.b]\ncommand = \"/bin/true\"\nsockets = [\"unix:/tmp/b.sock\", \"tcp://[::1]:9090\"]\n");
  ASSERT_FALSE(r);
  EXPECT_CONFIG_ERROR(r.error(), file, 6, "program.b.sockets",
                      "tcp://[::1]:9090 collides with tcp://*:9090 of program 'a' (" + file + ":3)");
  // Different ports, or different specific hosts, do not collide.
  EXPECT_TRUE(load("[program.a]\ncommand = \"/bin/true\"\nsockets = [\"tcp://127.0.0.1:9090\"]\n"
                   "[program.b]\ncommand = \"/bin/true\"\nsockets = [\"tcp://127.0.0.2:9090\", \"tcp://*:9091\"]\n"));
}

TEST_F(ConfigSockets, RestartModeIsReadAndAppliesInPlace) {
  EXPECT_EQ(program("command = \"/bin/true\"").restart, RestartMode::StopStart);
  const ProgramConfig a = program("command = \"/bin/true\"\nrestart = \"rolling\"");
  EXPECT_EQ(a.restart, RestartMode::Rolling);
  ProgramConfig b = a;
  b.restart = RestartMode::StopStart;
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(needs_restart(a, b)) << "the next restart uses it; the running instance is not touched";
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nrestart = \"rolling-ish\""), path("konnectd.toml"), 3,
                      "program.web.restart", "expected \"stop-start\" or \"rolling\"");
}

TEST_F(ConfigSockets, ARollingProgramsReadinessCannotBeAnsweredByTheOldInstance) {
  const std::string file = path("konnectd.toml");
  const std::string rolling = "command = \"/bin/true\"\nrestart = \"rolling\"\nsockets = [\"tcp://*:9090\"]\n";
  EXPECT_CONFIG_ERROR(program_error(rolling + "ready = { http = \"http://localhost:9090/ping\" }"), file, 5,
                      "program.web.ready", "checks tcp://*:9090, a socket konnectd holds for the program");
  EXPECT_CONFIG_ERROR(program_error("command = \"/bin/true\"\nrestart = \"rolling\"\nsockets = [\"tcp://[::1]:9090\"]\n"
                                    "ready = { tcp = \"[0::1]:9090\" }"),
                      file, 5, "program.web.ready", "the old instance would answer it");
  // Its own address, its own output, or no rolling: all fine.
  EXPECT_TRUE(load("[program.web]\n" + rolling + "ready = { tcp = \"127.0.0.1:9191\" }\n"));
  EXPECT_TRUE(load("[program.web]\n" + rolling + "ready = { log = \"ready\" }\n"));
  EXPECT_TRUE(load("[program.web]\ncommand = \"/bin/true\"\nsockets = [\"tcp://*:9090\"]\n"
                   "ready = { tcp = \"127.0.0.1:9090\" }\n"));
}

}  // namespace
}  // namespace konnect
