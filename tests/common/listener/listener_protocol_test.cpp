// supervisord's event listener protocol: what supervisor.childutils-based listeners read and
// write, byte for byte as supervisord 4.2.5 does.

#include "common/listener/listener_protocol.hpp"

#include <gtest/gtest.h>

namespace konnect::listener {
namespace {

using Kind = Reader::Outcome::Kind;

TEST(ListenerEvents, NamesAndSubscriptions) {
  EXPECT_EQ(event_type("PROCESS_STATE_RUNNING"), EventType::ProcessStateRunning);
  EXPECT_EQ(event_type("TICK_60"), EventType::Tick60);
  EXPECT_EQ(event_type("process_state"), std::nullopt);
  EXPECT_EQ(event_name(EventType::ProcessGroupAdded), "PROCESS_GROUP_ADDED");
  EXPECT_TRUE(names(EventType::ProcessState, EventType::ProcessStateExited));
  EXPECT_TRUE(names(EventType::Event, EventType::Tick5));
  EXPECT_TRUE(names(EventType::Tick5, EventType::Tick5));
  EXPECT_FALSE(names(EventType::Tick5, EventType::Tick60));
  EXPECT_FALSE(names(EventType::ProcessStateExited, EventType::ProcessState));
  EXPECT_FALSE(names(EventType::ProcessLog, EventType::ProcessStateRunning));
  for (State s : {State::Stopped, State::Starting, State::Running, State::Backoff, State::Stopping, State::Exited,
                  State::Fatal}) {
    EXPECT_EQ(event_name(process_state_event(s)), "PROCESS_STATE_" + std::string(to_string(s)));
  }
  EXPECT_NE(accepted_names().find("SUPERVISOR_STATE_CHANGE_RUNNING"), std::string::npos);
}

// The payloads of supervisord's events.py.
TEST(ListenerEvents, PayloadsAndEnvelope) {
  EXPECT_EQ(process_state_payload("cat", "cat", State::Running, State::Exited, 2766, 0, false),
            "processname:cat groupname:cat from_state:RUNNING expected:0 pid:2766");
  EXPECT_EQ(process_state_payload("web_00", "web", State::Stopped, State::Starting, 0, 0, false),
            "processname:web_00 groupname:web from_state:STOPPED tries:0");
  EXPECT_EQ(process_state_payload("cat", "cat", State::Starting, State::Backoff, 0, 2, false),
            "processname:cat groupname:cat from_state:STARTING tries:2");
  EXPECT_EQ(process_state_payload("cat", "cat", State::Starting, State::Running, 42, 0, false),
            "processname:cat groupname:cat from_state:STARTING pid:42");
  EXPECT_EQ(process_state_payload("cat", "cat", State::Backoff, State::Fatal, 0, 3, false),
            "processname:cat groupname:cat from_state:BACKOFF");
  EXPECT_EQ(tick_payload(1201063880), "when:1201063880");
  EXPECT_EQ(group_payload("cat"), "groupname:cat\n");
  EXPECT_EQ(envelope(21, "listener", 10, EventType::ProcessStateRunning, "processname:cat"),
            "ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_STATE_RUNNING len:15\n"
            "processname:cat");
}

TEST(ListenerReader, ReadyResultReady) {
  Reader r;
  EXPECT_EQ(r.state(), Reader::State::Acknowledged);
  auto out = r.feed("REA");
  EXPECT_TRUE(out.empty());
  out = r.feed("DY\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::Ready);
  EXPECT_EQ(r.state(), Reader::State::Ready);
  r.sent();
  EXPECT_EQ(r.state(), Reader::State::Busy);
  out = r.feed("RESULT 2\nO");
  EXPECT_TRUE(out.empty());
  out = r.feed("KREADY\n");  // the result's end and the next READY in one read
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, Kind::Result);
  EXPECT_EQ(out[0].text, "OK");
  EXPECT_TRUE(accepted(out[0].text));
  EXPECT_EQ(out[1].kind, Kind::Ready);
  r.sent();
  out = r.feed("RESULT 4\nFAIL");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(accepted(out[0].text));
  EXPECT_EQ(r.state(), Reader::State::Acknowledged);
  out = r.feed("READY\n");
  r.sent();
  out = r.feed("RESULT 0\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::Result);
  EXPECT_EQ(out[0].text, "");
}

// A reexec saves the reader mid-result; the next image's reader finishes it.
TEST(ListenerReader, ASavedReaderGoesOnWhereItWas) {
  Reader r;
  r.feed("READY\n");
  r.sent();
  r.feed("RESULT 2\nO");
  const Reader::Saved saved = r.save();
  EXPECT_EQ(reader_state_name(saved.state), "BUSY");
  EXPECT_EQ(reader_state("BUSY"), Reader::State::Busy);
  EXPECT_FALSE(reader_state("busy"));
  Reader next = Reader::restore(saved);
  auto out = next.feed("K");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, Kind::Result);
  EXPECT_EQ(out[0].text, "OK");
  EXPECT_EQ(next.state(), Reader::State::Acknowledged);
}

// Anything but the protocol makes a listener UNKNOWN, for good, as in supervisord.
TEST(ListenerReader, ProtocolErrorsAreUnknownForGood) {
  for (const char* bad : {"hello\n", "x"}) {
    Reader r;
    auto out = r.feed(bad);
    ASSERT_EQ(out.size(), 1u) << bad;
    EXPECT_EQ(out[0].kind, Kind::Unknown);
    EXPECT_NE(out[0].text.find("where READY was due"), std::string::npos) << out[0].text;
    EXPECT_TRUE(r.feed("READY\n").empty());
    EXPECT_EQ(r.state(), Reader::State::Unknown);
  }
  Reader spurious;
  spurious.feed("READY\n");
  auto out = spurious.feed("debug print\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].text.find("while waiting for an event"), std::string::npos);
  for (const char* bad : {"RESULT x\n", "RESULTS 2\n", "RESULT -1\n", "RESULT 2000000\n", "OK\n"}) {
    Reader r;
    r.feed("READY\n");
    r.sent();
    out = r.feed(bad);
    ASSERT_EQ(out.size(), 1u) << bad;
    EXPECT_NE(out[0].text.find("bad result line"), std::string::npos) << out[0].text;
  }
  Reader endless;
  endless.feed("READY\n");
  endless.sent();
  out = endless.feed(std::string(100, 'R'));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].text.find("longer than 64"), std::string::npos);
}

}  // namespace
}  // namespace konnect::listener

namespace konnect::listener {
namespace {
TEST(ListenerEvents, LogPayload) {
  EXPECT_EQ(log_payload("web_00", "web", 42, false, "hello\n"), "processname:web_00 groupname:web pid:42 channel:stdout\nhello\n");
  EXPECT_EQ(log_payload("web", "web", 7, true, ""), "processname:web groupname:web pid:7 channel:stderr\n");
}
}  // namespace
}  // namespace konnect::listener
