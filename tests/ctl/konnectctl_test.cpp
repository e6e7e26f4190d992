// tests ctl/konnectctl.cpp: the whole client from argv to output and exit code, against an
// in-test socket server (fake_daemon.hpp) and an injected environment.
#include "ctl/konnectctl.hpp"

#include "version.hpp"  // generated from common/version.hpp.in
#include "fake_daemon.hpp"

#include <gtest/gtest.h>

namespace konnect::ctl {
namespace {

using testing::FakeDaemon;
using testing::Script;

constexpr const char* kNoDaemon = "/nonexistent-konnect-dir/konnectd.sock";

// An environment that never touches /etc or the real $KONNECT_SOCKET; reading a config
// file is a test failure unless a test installs its own reader.
Environment quiet_env() {
  Environment env;
  env.default_config.clear();
  env.read_config = [](const std::filesystem::path& file) -> Result<std::filesystem::path> {
    ADD_FAILURE() << "unexpected config read: " << file;
    return make_error(ErrorCode::Config, "unexpected");
  };
  return env;
}

Outcome run(const std::vector<std::string>& args, const Environment& env = quiet_env()) {
  return run_konnectctl(args, env);
}

// The daemon got one line holding `expected`'s JSON (key order is the encoder's business).
void expect_request(const FakeDaemon& daemon, std::string_view expected) {
  const std::string& request = daemon.request();
  ASSERT_FALSE(request.empty());
  EXPECT_EQ(request.find('\n'), request.size() - 1) << request;
  EXPECT_EQ(Json::parse(request), Json::parse(expected)) << request;
}

const char* kStatusAnswer =
    R"({"id":1,"ok":true,"result":{"processes":[{"name":"web","state":"RUNNING","description":"pid 9, uptime 0:00:01"}]}})";

// `konnectctl -s SOCK` with no command asks for status and prints supervisorctl's line.
TEST(KonnectctlTest, NoCommandRunsStatus) {
  FakeDaemon daemon(Script{{std::string(kStatusAnswer) + "\n"}});
  Outcome o = run({"-s", daemon.socket().string()});
  daemon.join();
  expect_request(daemon, R"({"id":1,"cmd":"status"})");
  EXPECT_EQ(o.out, "web                              RUNNING   pid 9, uptime 0:00:01\n");
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.exit_code, kExitOk);
}

// --json prints the answer line as received.
TEST(KonnectctlTest, JsonPrintsAnswerLine) {
  FakeDaemon daemon(Script{{std::string(kStatusAnswer) + "\n"}});
  Outcome o = run({"--json", "-s", daemon.socket().string(), "status", "web"});
  daemon.join();
  expect_request(daemon, R"({"id":1,"cmd":"status","args":{"targets":["web"]}})");
  EXPECT_EQ(o.out, std::string(kStatusAnswer) + "\n");
  EXPECT_EQ(o.exit_code, kExitOk);
}

// $KONNECT_SOCKET is used when neither -s nor -c is given.
TEST(KonnectctlTest, EnvironmentSocketIsUsed) {
  FakeDaemon daemon(Script{{R"({"id":1,"ok":true,"result":{"pid":77}})"
                            "\n"}});
  Environment env = quiet_env();
  env.konnect_socket = daemon.socket().string();
  Outcome o = run({"pid"}, env);
  EXPECT_EQ(o.out, "77\n");
  EXPECT_EQ(o.exit_code, kExitOk);
}

// -c FILE: the socket comes from the config reader.
TEST(KonnectctlTest, ConfigOptionSocketIsUsed) {
  FakeDaemon daemon(Script{{R"({"id":1,"ok":true,"result":{"processes":[{"name":"web","ok":true}]}})"
                            "\n"}});
  Environment env = quiet_env();
  std::filesystem::path socket = daemon.socket();
  env.read_config = [socket](const std::filesystem::path& file) -> Result<std::filesystem::path> {
    EXPECT_EQ(file, "/etc/k.toml");
    return socket;
  };
  Outcome o = run({"-c", "/etc/k.toml", "stop", "web"}, env);
  EXPECT_EQ(o.out, "web: stopped\n");
  EXPECT_EQ(o.exit_code, kExitOk);
}

// A broken -c FILE is printed and exits 2.
TEST(KonnectctlTest, ConfigErrorExitsTwo) {
  Environment env = quiet_env();
  env.read_config = [](const std::filesystem::path& file) -> Result<std::filesystem::path> {
    Error e = make_error(ErrorCode::Config, "unknown key");
    e.file = file.string();
    e.line = 4;
    e.key = "sockett";
    return e;
  };
  Outcome o = run({"-c", "/etc/k.toml", "status"}, env);
  EXPECT_EQ(o.exit_code, kExitUsage);
  EXPECT_EQ(o.err, "konnectctl: /etc/k.toml:4: key 'sockett': unknown key\n");
  EXPECT_EQ(o.out, "");
}

// A broken default config warns and falls back to the default socket (unreachable here).
TEST(KonnectctlTest, BrokenDefaultConfigWarns) {
  Environment env = quiet_env();
  env.default_config = "/";  // exists everywhere
  env.read_config = [](const std::filesystem::path&) -> Result<std::filesystem::path> {
    return make_error(ErrorCode::Config, "is a directory");
  };
  Outcome o = run({"pid"}, env);
  EXPECT_EQ(o.err.rfind("konnectctl: warning: cannot read /: is a directory; using /run/konnect/konnectd.sock\n", 0),
            0u)
      << o.err;
}

// Every command that needs the daemon exits 4 with the connect error when it is not there.
TEST(KonnectctlTest, EveryCommandExitsFourWhenUnreachable) {
  const std::vector<std::vector<std::string>> invocations = {
      {"status"}, {"start", "web"}, {"stop", "web"}, {"restart", "web"}, {"signal", "HUP", "web"},
      {"pid"},    {"pid", "web"},   {"shutdown"},    {"version"},         {"--json", "status"}};
  for (std::vector<std::string> args : invocations) {
    args.insert(args.begin(), {"-s", kNoDaemon});
    Outcome o = run(args);
    EXPECT_EQ(o.exit_code, kExitUnreachable) << args[2];
    EXPECT_EQ(o.err, std::string("konnectctl: cannot connect to ") + kNoDaemon + ": No such file or directory\n")
        << args[2];
  }
}

// version prints its own line even when the daemon cannot be reached.
TEST(KonnectctlTest, VersionUnreachablePrintsClientLine) {
  Outcome o = run({"-s", kNoDaemon, "version"});
  EXPECT_EQ(o.out, std::string("konnectctl ") + kVersion + "\n");
  EXPECT_EQ(o.exit_code, kExitUnreachable);
}

TEST(KonnectctlTest, VersionPrintsBothLines) {
  FakeDaemon daemon(Script{{R"({"id":1,"ok":true,"result":{"version":"9.8.7"}})"
                            "\n"}});
  Outcome o = run({"-s", daemon.socket().string(), "version"});
  EXPECT_EQ(o.out, std::string("konnectctl ") + kVersion + "\nkonnectd 9.8.7\n");
  EXPECT_EQ(o.exit_code, kExitOk);
}

// shutdown returns only once the daemon has closed the connection, then says so.
TEST(KonnectctlTest, ShutdownWaitsForDaemonToClose) {
  FakeDaemon daemon(Script{{R"({"id":1,"ok":true,"result":{"message":"Shut down"}})"
                            "\n"},
                           /*linger_ms=*/300});
  Outcome o = run({"-s", daemon.socket().string(), "shutdown"});
  daemon.join();
  EXPECT_TRUE(daemon.served());
  EXPECT_FALSE(daemon.client_hung_up_first()) << "konnectctl left before the daemon closed the socket";
  EXPECT_EQ(o.out, "Shut down\n");
  EXPECT_EQ(o.exit_code, kExitOk);
}

// The connection dropping before an answer is "cannot be reached": exit 4.
TEST(KonnectctlTest, DroppedConnectionExitsFour) {
  FakeDaemon daemon(Script{});
  Outcome o = run({"-s", daemon.socket().string(), "restart", "web"});
  EXPECT_EQ(o.exit_code, kExitUnreachable);
  EXPECT_NE(o.err.find("closed before an answer"), std::string::npos) << o.err;
}

// Something that is not a protocol answer is a failure (1), not a crash.
TEST(KonnectctlTest, GarbageAnswerExitsOne) {
  FakeDaemon daemon(Script{{"hello\n"}});
  Outcome o = run({"-s", daemon.socket().string(), "status"});
  EXPECT_EQ(o.exit_code, kExitFailed);
  EXPECT_EQ(o.err, "konnectctl: bad answer from " + daemon.socket().string() + ": answer is not a JSON object\n");
}

// The daemon's error answer: stderr line, exit 1.
TEST(KonnectctlTest, NoSuchProcessExitsOne) {
  FakeDaemon daemon(Script{
      {R"({"id":1,"ok":false,"error":{"code":"NO_SUCH_PROCESS","message":"no such process or group: nosuch"}})"
       "\n"}});
  Outcome o = run({"-s", daemon.socket().string(), "start", "nosuch"});
  EXPECT_EQ(o.exit_code, kExitFailed);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "konnectctl: ERROR (no such process): no such process or group: nosuch\n");
}

// status listing a FATAL process exits 3, also with --json.
TEST(KonnectctlTest, StatusWithFatalExitsThree) {
  const char* answer = R"({"id":1,"ok":true,"result":{"processes":[{"name":"w","state":"FATAL","description":"x"}]}})";
  {
    FakeDaemon daemon(Script{{std::string(answer) + "\n"}});
    EXPECT_EQ(run({"-s", daemon.socket().string()}).exit_code, kExitNotRunning);
  }
  FakeDaemon daemon(Script{{std::string(answer) + "\n"}});
  EXPECT_EQ(run({"--json", "-s", daemon.socket().string()}).exit_code, kExitNotRunning);
}

// Usage errors exit 2 before any socket is tried (the socket here does not exist).
TEST(KonnectctlTest, UsageErrorsExitTwoWithoutDaemon) {
  Outcome unknown = run({"-s", kNoDaemon, "frobnicate"});
  EXPECT_EQ(unknown.exit_code, kExitUsage);
  EXPECT_EQ(unknown.err.rfind("konnectctl: unknown command 'frobnicate'\nUsage: konnectctl ", 0), 0u) << unknown.err;
  EXPECT_EQ(unknown.out, "");

  Outcome missing = run({"-s", kNoDaemon, "start"});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_EQ(missing.err.rfind("Error: start requires a process name\n", 0), 0u) << missing.err;

  Outcome option = run({"--bogus"});
  EXPECT_EQ(option.exit_code, kExitUsage);
  EXPECT_EQ(option.err.rfind("konnectctl: unknown option '--bogus'\n", 0), 0u) << option.err;
}

// --help prints the full usage to stdout and exits 0; COMMAND --help the command's.
TEST(KonnectctlTest, HelpExitsZero) {
  Outcome help = run({"--help"});
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_NE(help.out.find("signal SIG TARGET..."), std::string::npos);
  EXPECT_EQ(help.err, "");
  Outcome command_help = run({"restart", "-h"});
  EXPECT_EQ(command_help.exit_code, kExitOk);
  EXPECT_EQ(command_help.out.rfind("Usage: konnectctl restart TARGET...\n", 0), 0u) << command_help.out;
}

}  // namespace
}  // namespace konnect::ctl
