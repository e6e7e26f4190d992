// The state konnectd hands to its next image (common/handoff): it reads back as written, a
// state written by version 1 (a stored fixture) is read by this konnectd as it stands, one
// with event listeners is version 2, and anything else is refused with the reason, never
// half read.

#include "common/handoff/handoff_state.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

using namespace konnect::handoff;

namespace {

std::string fixture() {
  std::ifstream in(std::filesystem::path(KONNECT_SOURCE_DIR) / "tests/common/handoff/state_v1.json");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fixture with one change made to its JSON.
std::string edited(const std::function<void(nlohmann::json&)>& edit) {
  auto j = nlohmann::json::parse(fixture());
  edit(j);
  return j.dump();
}

std::string refusal(const std::string& text) {
  auto r = decode(text);
  return r ? "" : r.error().message;
}

}  // namespace

TEST(HandoffState, AVersion1StateIsReadAsWritten) {
  auto s = decode(fixture());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->version, 1);
  EXPECT_EQ(s->config_file, "/etc/konnect/konnectd.toml");
  ASSERT_EQ(s->programs.size(), 1u);
  const CopyState& web = s->programs[0].copies[0];
  EXPECT_EQ(web.current.state, "RUNNING");
  EXPECT_EQ(web.current.pid, 4242);
  EXPECT_EQ(web.current.instance, 2u);
  EXPECT_EQ(web.current.crash_streak, 1);
  EXPECT_FALSE(web.current.timer_at_ns);
  EXPECT_EQ(web.pipes.sources, (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 3}, {2, 2}}));
  ASSERT_EQ(s->streams.size(), 2u);
  EXPECT_EQ(s->streams[0].rotations, 2u);
  EXPECT_FALSE(s->streams[1].sources[0].at_line_start);
  ASSERT_TRUE(s->requester);
  EXPECT_EQ(s->requester->request_id, "7");
  EXPECT_EQ(s->requester->paused_at_ns, 123000000000) << "a state without it: paused when requested";
  EXPECT_EQ(s->fds(), (std::vector<int>{5, 6, 10, 11, 12, 13, 14, 15, 16, 17}));
}

TEST(HandoffState, WhatIsWrittenReadsBackTheSame) {
  auto s = decode(fixture());
  ASSERT_TRUE(s);
  s->programs[0].copies[0].current.timer_at_ns = 987654321;
  s->programs[0].copies[0].current.ready_timeout_ms = 60000;
  s->requester->paused_at_ns = 124000000000;
  s->programs[0].copies[0].current.starts = 7;  // restarts, for status and /metrics
  s->streams[0].written = 123456789;             // konnect_log_bytes_total
  s->web_token = "0123456789abcdef0123456789abcdef";
  auto again = decode(encode(*s));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *s);
  s->requester.reset();
  again = decode(encode(*s));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *s);
}

TEST(HandoffState, ARefusalSaysWhatAndWhere) {
  EXPECT_EQ(refusal(edited([](auto& j) { j["version"] = 4; })),
            "unreadable state: state version 4 is not one this konnectd reads (it reads 1 2 3)");
  EXPECT_EQ(refusal(edited([](auto& j) { j["programs"][0]["copies"][0]["current"].erase("state"); })),
            "unreadable state: state.programs[0].copies[0].current.state: missing");
  EXPECT_EQ(refusal(edited([](auto& j) { j["programs"][0]["copies"][0]["current"]["pid"] = "4242"; })),
            "unreadable state: state.programs[0].copies[0].current.pid: not an integer");
  EXPECT_EQ(refusal(edited([](auto& j) { j["programs"][0]["copies"][0]["current"]["state"] = "DANCING"; })),
            "unreadable state: state.programs[0].copies[0].current.state: no state 'DANCING'");
  EXPECT_EQ(refusal(edited([](auto& j) { j["streams"][0]["file_fd"] = 1; })),
            "unreadable state: state.streams[0].file_fd: 1 is not a handed-over fd");
  EXPECT_EQ(refusal(edited([](auto& j) { j["sockets"][0]["fd"] = 13; })),
            "unreadable state: fd 13 is named twice");
  EXPECT_EQ(refusal(edited([](auto& j) { j["programs"][0]["copies"][0]["current"]["pid"] = 0; })),
            "unreadable state: state.programs[0].copies[0].current: a pidfd without a pid");
  EXPECT_NE(refusal("{\"version\": 1"), "");
  EXPECT_NE(refusal(""), "");
  EXPECT_NE(refusal("[]"), "");
}

// A field at its default may be left out (the writer does): an instance that never ran is
// its state alone.
TEST(HandoffState, AnAbsentFieldIsItsDefault) {
  auto s = decode(edited([](auto& j) { j["programs"][0]["copies"][0]["current"] = {{"state", "STOPPED"}}; }));
  ASSERT_TRUE(s) << s.error().message;
  ProcessState fresh;
  fresh.state = "STOPPED";
  EXPECT_EQ(s->programs[0].copies[0].current, fresh);
  const std::string text = encode(*s);
  EXPECT_NE(text.find("\"current\":{\"state\":\"STOPPED\"}"), std::string::npos) << text;
}

// stdout_log = "console": a stream with no file, its label, and the line each source was in
// the middle of (any bytes). Such a state is version 3, and only version 3 may have one.
TEST(HandoffState, AConsoleStreamIsVersion3) {
  auto s = decode(fixture());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->lowest_version(), 1);
  StreamState console;
  console.id = 9;
  console.name = "web stdout";
  console.console = 1;
  console.label = "web";
  console.written = 77;
  console.sources.push_back({31, 20, true, std::string("half a line \xff\0", 14)});
  s->streams.push_back(console);
  EXPECT_EQ(s->lowest_version(), 3);
  s->version = 3;  // as decode() will say
  const std::string text = encode(*s);
  EXPECT_NE(text.find("\"version\":3"), std::string::npos);
  auto again = decode(text);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *s);
  auto j = nlohmann::json::parse(text);
  j["version"] = 2;
  EXPECT_EQ(refusal(j.dump()), "unreadable state: state.streams[2].console: not in a version 2 state");
}

TEST(HandoffState, StateVersionsOutput) {
  EXPECT_EQ(readable_versions_text(), "1 2 3");
  EXPECT_TRUE(lists_version("1\n", 1));
  EXPECT_TRUE(lists_version("1 2 3\n", 2));
  EXPECT_FALSE(lists_version("12\n", 1));
  EXPECT_FALSE(lists_version("", 1));
}

namespace {

// The fixture's state with two listener pools: one listener mid-event (its result half read,
// the envelope half written, output that is not UTF-8 in the payload), one idle pool with a
// buffered event.
State with_listeners() {
  auto s = decode(fixture());
  Listeners l;
  l.next_serial = 41;
  l.groups = {"web", "watch"};
  l.tick_slices = {{5, 1765100000}, {60, -1}};
  ListenerEvent log{"PROCESS_LOG_STDOUT", "processname:web groupname:web pid:1 channel:stdout\n\xff\xfe\x00ok", 40, 7};
  ListenerProcess busy{"watch", 20, 21, "BUSY", "RESULT 2\nO", 2, log, "ver:3.0 serv", true};
  l.pools.push_back({"watch", 8, {ListenerEvent{"TICK_5", "when:1765100005", 41, 8}}, {busy}});
  l.pools.push_back({"idle", 0, {}, {}});
  s->listeners = l;
  return *s;
}

}  // namespace

TEST(HandoffState, EventListenersAreVersion2AndReadBackTheSame) {
  State s = with_listeners();
  const std::string text = encode(s);
  EXPECT_NE(text.find("\"version\":2"), std::string::npos);
  auto again = decode(text);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->version, 2);
  s.version = 2;
  EXPECT_EQ(*again, s);
  EXPECT_EQ(again->fds(), (std::vector<int>{5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21}));
  // Without them it is version 1 still, for a binary that reads only 1.
  s.listeners.reset();
  EXPECT_NE(encode(s).find("\"version\":1"), std::string::npos);
}

TEST(HandoffState, AListenerStateThatDoesNotReadIsRefused) {
  const std::string text = encode(with_listeners());
  auto edit = [&](const std::function<void(nlohmann::json&)>& f) {
    auto j = nlohmann::json::parse(text);
    f(j);
    return refusal(j.dump());
  };
  EXPECT_EQ(edit([](auto& j) { j["version"] = 1; }),
            "unreadable state: state.listeners: not in a version 1 state");
  EXPECT_EQ(edit([](auto& j) { j["listeners"]["pools"][0]["buffer"][0]["type"] = "TOCK_5"; }),
            "unreadable state: state.listeners.pools[0].buffer[0].type: no event type 'TOCK_5'");
  EXPECT_EQ(edit([](auto& j) { j["listeners"]["pools"][0]["listeners"][0]["reader_state"] = "SLEEPY"; }),
            "unreadable state: state.listeners.pools[0].listeners[0].reader_state: no state 'SLEEPY'");
  EXPECT_EQ(edit([](auto& j) { j["listeners"]["pools"][0]["listeners"][0]["unwritten"] = "not base64!"; }),
            "unreadable state: state.listeners.pools[0].listeners[0].unwritten: not base64");
  EXPECT_EQ(edit([](auto& j) { j["listeners"]["pools"][0]["listeners"][0]["stdin_fd"] = 13; }),
            "unreadable state: fd 13 is named twice");
  EXPECT_EQ(edit([](auto& j) { j["listeners"]["pools"][0]["listeners"][0]["stdout_fd"] = -1; }),
            "unreadable state: state.listeners.pools[0].listeners[0]: a listener without its pipes");
}
