// RequestHandler and its command table, on a Supervisor with no programs and a fake daemon
// (DaemonControl): who may send what, unknown commands, what reaches the daemon.

#include "daemon/control/request_handler.hpp"

#include "common/config/config_loader.hpp"
#include "daemon/events/event_bus.hpp"
#include "daemon/supervision/supervisor.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

using namespace konnect;

namespace {

struct FakeDaemon : DaemonControl {
  Config config;
  int shutdowns = 0;
  int reads = 0;
  void request_shutdown() override { ++shutdowns; }
  void reopen_logs(std::function<void(const std::vector<Error>&)> done) override {
    done({make_error(ErrorCode::Io, "cannot reopen x.log")});
  }
  void follow_daemon_log(std::function<bool(const std::string&)>) override {}
  Result<Config> read_config() const override {
    ++const_cast<FakeDaemon*>(this)->reads;
    return config;
  }
  const Config& running_config() const override { return config; }
  void apply(ReloadPlan, std::function<void(Result<ProcessResults>)> done) override {
    done(make_error(ErrorCode::Failed, "not here"));
  }
  void sample_metrics(std::function<void(std::vector<ProcessMetrics>)> done) override { done({}); }
  int reexecs = 0;
  void reexec(const Json& id, const Responder& reply) override {
    ++reexecs;
    reply(encode_error(id, make_error(ErrorCode::Failed, "cannot reexec: not here")));
  }
};

struct RequestHandlerTest : ::testing::Test {
  boost::asio::io_context io;
  test::FakeClock clock;
  EventBus bus{clock};
  FakeDaemon daemon;
  std::optional<Supervisor> supervisor;
  std::optional<RequestHandler> handler;

  RequestHandlerTest() {
    spdlog::set_level(spdlog::level::off);
    daemon.config = load_config_from_string("[konnectd]\nlog_file = \"-\"\n", "/etc/konnect/konnectd.toml").value();
    supervisor.emplace(io.get_executor(), daemon.config, clock, bus);
    handler.emplace(*supervisor, daemon);
  }

  // The one answer to line, parsed.
  Json ask(const std::string& line, Access access = Access::Full) {
    std::string answer;
    int answers = 0;
    handler->handle_line(line, access, Responder([&](std::string a, bool) {
                           answer = std::move(a);
                           ++answers;
                           return true;
                         }));
    EXPECT_EQ(answers, 1) << line;
    return Json::parse(answer, nullptr, false);
  }
  static std::string code(const Json& a) { return a.value("ok", false) ? "ok" : a["error"].value("code", ""); }
};

}  // namespace

TEST_F(RequestHandlerTest, ReadOnlyClientsMayOnlyLook) {
  EXPECT_TRUE(RequestHandler::is_read_only("status"));
  EXPECT_TRUE(RequestHandler::is_read_only("pid"));
  EXPECT_TRUE(RequestHandler::is_read_only("version"));
  for (const char* cmd : {"start", "stop", "reload", "shutdown", "tail", "nosuch"}) {
    EXPECT_FALSE(RequestHandler::is_read_only(cmd)) << cmd;
  }
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"status"})", Access::ReadOnly)), "ok");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"version"})", Access::ReadOnly)), "ok");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"shutdown"})", Access::ReadOnly)), "PERMISSION_DENIED");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"nosuch"})", Access::ReadOnly)), "PERMISSION_DENIED");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"status"})", Access::None)), "PERMISSION_DENIED");
  EXPECT_EQ(daemon.shutdowns, 0);
}

TEST_F(RequestHandlerTest, UnknownCommandsAndBadTargets) {
  const Json a = ask(R"({"id":"x","cmd":"frobnicate"})");
  EXPECT_EQ(code(a), "UNKNOWN_COMMAND");
  EXPECT_EQ(a["id"], "x");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"status","args":{"targets":"web"}})")), "BAD_ARGUMENTS");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"status","args":{"targets":["nosuch"]}})")), "NO_SUCH_PROCESS");
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"start"})")), "BAD_ARGUMENTS");
  // version reads no targets: a bad one does not matter.
  EXPECT_EQ(code(ask(R"({"id":1,"cmd":"version","args":{"targets":7}})")), "ok");
}

TEST_F(RequestHandlerTest, DaemonCommandsReachTheDaemon) {
  EXPECT_EQ(ask(R"({"id":1,"cmd":"shutdown"})")["result"]["message"], "Shut down");
  EXPECT_EQ(daemon.shutdowns, 1);
  const Json reopen = ask(R"({"id":2,"cmd":"logreopen"})");
  EXPECT_EQ(code(reopen), "IO_ERROR");
  EXPECT_EQ(reopen["error"]["message"], "cannot reopen x.log");
  const Json reread = ask(R"({"id":3,"cmd":"reread"})");
  EXPECT_EQ(code(reread), "ok");
  EXPECT_EQ(reread["result"]["added"], Json::array());
  EXPECT_EQ(daemon.reads, 1);
  // The daemon logs to stderr here: nothing to tail.
  const Json maintail = ask(R"({"id":4,"cmd":"maintail"})");
  EXPECT_EQ(code(maintail), "FAILED");
  EXPECT_NE(maintail["error"]["message"].get<std::string>().find("stderr"), std::string::npos);
  EXPECT_EQ(code(ask(R"({"id":5,"cmd":"status"})")), "ok");
}
