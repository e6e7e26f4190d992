// tests ctl/stream_commands.cpp: the events and wait requests built from arguments, and what
// a piece of their streamed answers prints.
#include "ctl/stream_commands.hpp"

#include <gtest/gtest.h>

namespace konnect::ctl {
namespace {

const Command& command(std::string_view name) { return *find_command(name); }

Json args_of(std::string_view name, const std::vector<std::string>& args) {
  auto request = build_request(command(name), args);
  EXPECT_TRUE(request.has_value()) << (request ? "" : request.error().message);
  return request ? request->args : Json();
}

std::string usage_error_of(std::string_view name, const std::vector<std::string>& args) {
  auto request = build_request(command(name), args);
  EXPECT_FALSE(request.has_value());
  return request ? std::string() : request.error().message;
}

}  // namespace

TEST(StreamCommands, WaitArguments) {
  EXPECT_EQ(args_of("wait", {"web"}), Json::parse(R"({"targets":["web"],"state":"RUNNING","timeout_ms":60000})"));
  EXPECT_EQ(args_of("wait", {"--timeout", "2m", "--state", "stopped", "web", "db"}),
            Json::parse(R"({"targets":["web","db"],"state":"STOPPED","timeout_ms":120000})"));
  EXPECT_EQ(args_of("wait", {"--timeout=500ms", "--state=FATAL", "web"})["timeout_ms"], 500);
  EXPECT_EQ(args_of("wait", {"--timeout", "5", "web"})["timeout_ms"], 5000) << "a bare number is seconds";
  EXPECT_EQ(usage_error_of("wait", {}), "Error: wait requires a process name");
  EXPECT_EQ(usage_error_of("wait", {"--timeout"}), "Error: wait --timeout needs a value");
  EXPECT_EQ(usage_error_of("wait", {"--timeout", "soon", "web"}),
            "Error: wait: 'soon' is not a duration such as 30s, 500ms or 2m");
  EXPECT_NE(usage_error_of("wait", {"--state", "asleep", "web"}).find("'asleep' is not a state"), std::string::npos);
  EXPECT_EQ(usage_error_of("wait", {"-x", "web"}), "konnectctl: wait: unknown option '-x'");
}

TEST(StreamCommands, EventsArguments) {
  EXPECT_EQ(args_of("events", {}), Json::object());
  EXPECT_EQ(args_of("events", {"web", "workers:*"}), Json::parse(R"({"targets":["web","workers:*"]})"));
  EXPECT_EQ(usage_error_of("events", {"-f"}), "konnectctl: events: unknown option '-f'");
}

TEST(StreamCommands, AnEventPrintsAsOneLine) {
  const Json piece = Json::parse(R"({"more":true,"event":{"seq":7,"time":"2026-12-03T12:40:56.123Z","name":"web",
      "group":"web","from":"RUNNING","to":"EXITED","pid":4242,"reason":"exit status 3"}})");
  EXPECT_EQ(render_event_piece(piece, false), "2026-12-03T12:40:56.123Z web RUNNING -> EXITED pid 4242 (exit status 3)\n");
  EXPECT_EQ(Json::parse(render_event_piece(piece, true)), piece["event"]);
  const Json no_pid = Json::parse(R"({"more":true,"event":{"time":"T","name":"db","from":"STOPPED","to":"STARTING",
      "pid":0,"reason":""}})");
  EXPECT_EQ(render_event_piece(no_pid, false), "T db STOPPED -> STARTING\n");
  EXPECT_EQ(render_event_piece(Json::parse(R"({"more":true})"), false), "") << "the first answer prints nothing";
  EXPECT_EQ(render_event_piece(Json::parse(R"({"more":true,"skipped":3})"), false),
            "[konnectctl: 3 event(s) skipped: they came faster than they were read]\n");
  EXPECT_EQ(render_wait_piece(piece, false), "") << "wait prints the way there only with --json";
}

TEST(StreamCommands, WaitsAnswerPrintsEachTarget) {
  EXPECT_EQ(render_wait(Json::parse(R"({"processes":[{"name":"web","state":"RUNNING"},{"name":"db","state":"RUNNING"}]})")).out,
            "web: RUNNING\ndb: RUNNING\n");
  EXPECT_EQ(render_wait(Json::parse(R"({"more":true,"waiting":[]})")).out, "");
}

}  // namespace konnect::ctl
