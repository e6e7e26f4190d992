// EventCommands (events, wait) on a Supervisor whose programs are not running, with a fake
// clock and a Responder that records what it is given: followers end when their client goes
// and at shutdown, a wait answers at once when it can, and times out on the clock.

#include "daemon/control/event_commands.hpp"

#include "common/config/config_loader.hpp"
#include "daemon/control/request_handler.hpp"
#include "daemon/supervision/supervisor.hpp"
#include "tests/daemon/fake_clock.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

using namespace konnect;
using namespace std::chrono_literals;

namespace {

// What a client would have received, and its end of the connection.
struct FakeClient {
  std::vector<Json> answers;
  bool finished = false;  // got an answer without "more"
  bool connected = true;
  std::function<void()> gone;

  Responder responder() {
    return Responder(
        [this](std::string line, bool more) {
          if (!connected) return false;
          answers.push_back(Json::parse(line));
          finished = finished || !more;
          return true;
        },
        [this](std::function<void()> fn) {
          if (!connected) return fn();
          gone = std::move(fn);
        });
  }
  void disconnect() {
    connected = false;
    if (gone) gone();
  }
  std::string last_code() const {
    const Json& a = answers.back();
    return a.value("ok", false) ? "ok" : a["error"].value("code", "");
  }
};

struct EventCommandsTest : ::testing::Test {
  boost::asio::io_context io;
  test::FakeClock clock;
  EventBus bus{clock};
  Config config = load_config_from_string(
                      "[konnectd]\nlog_file = \"-\"\n"
                      "[program.web]\ncommand = [\"/bin/sleep\", \"60\"]\nautostart = false\n"
                      "[program.db]\ncommand = [\"/bin/sleep\", \"60\"]\nautostart = false\n",
                      "/etc/konnect/konnectd.toml")
                      .value();
  std::optional<Supervisor> supervisor;
  std::optional<EventCommands> commands;

  EventCommandsTest() {
    spdlog::set_level(spdlog::level::off);
    supervisor.emplace(io.get_executor(), config, clock, bus);
    commands.emplace(*supervisor);
  }
  Request request(const std::string& cmd, Json args) { return Request{1, cmd, std::move(args)}; }
  void wait(FakeClient& client, Json args) {
    std::vector<std::string> targets = args.value("targets", std::vector<std::string>{});
    commands->wait(request("wait", std::move(args)), targets, client.responder());
  }
};

}  // namespace

TEST_F(EventCommandsTest, AFollowerEndsWhenItsClientGoes) {
  FakeClient client;
  commands->events(request("events", Json::object()), {}, client.responder());
  ASSERT_EQ(client.answers.size(), 1u);
  EXPECT_EQ(client.answers[0]["result"]["more"], true);
  EXPECT_EQ(commands->followers(), 1u);
  EXPECT_EQ(bus.subscribers(), 1u);
  client.disconnect();  // no event needed to notice
  EXPECT_EQ(bus.subscribers(), 0u);
  io.poll();
  EXPECT_EQ(commands->followers(), 0u);
}

TEST_F(EventCommandsTest, AWaitThatHoldsOrCannotHoldAnswersAtOnce) {
  FakeClient stopped;
  wait(stopped, {{"targets", {"web", "db"}}, {"state", "STOPPED"}});
  ASSERT_TRUE(stopped.finished);
  EXPECT_EQ(stopped.last_code(), "ok");
  EXPECT_EQ(stopped.answers[0]["result"]["processes"].size(), 2u);
  FakeClient running;
  wait(running, {{"targets", {"web"}}});
  ASSERT_TRUE(running.finished);
  EXPECT_EQ(running.last_code(), "FAILED");
  EXPECT_EQ(running.answers[0]["error"]["message"], "web is STOPPED and nothing will start it");
  FakeClient now;
  wait(now, {{"targets", {"web"}}, {"state", "BACKOFF"}, {"timeout_ms", 0}});
  EXPECT_EQ(now.last_code(), "TIMEOUT");
  FakeClient bad;
  wait(bad, {{"targets", {"web"}}, {"state", "ASLEEP"}});
  EXPECT_EQ(bad.last_code(), "BAD_ARGUMENTS");
  EXPECT_EQ(commands->followers(), 0u);
}

TEST_F(EventCommandsTest, AWaitTimesOutOnTheClock) {
  FakeClient client;
  wait(client, {{"targets", {"web"}}, {"state", "STARTING"}, {"timeout_ms", 1500}});
  ASSERT_FALSE(client.finished);
  EXPECT_EQ(client.answers[0]["result"]["waiting"][0]["state"], "STOPPED");
  clock.advance(1499ms);
  EXPECT_FALSE(client.finished);
  clock.advance(1ms);
  ASSERT_TRUE(client.finished);
  EXPECT_EQ(client.last_code(), "TIMEOUT");
  EXPECT_EQ(client.answers.back()["error"]["message"], "not STARTING after 1500 ms: web is STOPPED");
  io.poll();
  EXPECT_EQ(commands->followers(), 0u);
  EXPECT_EQ(clock.armed(), 0u);
}

TEST_F(EventCommandsTest, ShutdownEndsEveryFollowerAndLeavesNoDeadline) {
  FakeClient waiting;
  FakeClient following;
  wait(waiting, {{"targets", {"web"}}, {"state", "STARTING"}});
  commands->events(request("events", Json::object()), {"db"}, following.responder());
  EXPECT_EQ(commands->followers(), 2u);
  EXPECT_EQ(clock.armed(), 1u);
  commands->stop_all();
  ASSERT_TRUE(waiting.finished);
  EXPECT_EQ(waiting.last_code(), "SHUTTING_DOWN");
  EXPECT_EQ(clock.armed(), 0u) << "a wait's deadline would keep the loop from ending";
  io.poll();
  EXPECT_EQ(commands->followers(), 0u);
  EXPECT_EQ(bus.subscribers(), 0u);
}
