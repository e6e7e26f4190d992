// The typed arguments of each command: what konnectctl encodes is what konnectd decodes, and
// a wrong type is a BAD_ARGUMENTS error that names the key, never an exception.

#include "common/protocol/requests.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace konnect;

namespace {

template <class T>
Error error_of(const Result<T>& r) {
  EXPECT_FALSE(r);
  return r ? Error{} : r.error();
}

}  // namespace

TEST(Requests, TargetsRoundTripAndNoneIsOmitted) {
  EXPECT_EQ(encode_args(TargetsArgs{}), Json::object());
  auto back = decode_targets_args(encode_args(TargetsArgs{{"web", "workers:*"}}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->targets, (std::vector<std::string>{"web", "workers:*"}));
  EXPECT_TRUE(decode_targets_args(Json::object())->targets.empty());
  EXPECT_TRUE(decode_targets_args(Json{{"targets", nullptr}})->targets.empty());
}

TEST(Requests, BadTargetsAreRefused) {
  for (const Json& bad : {Json{{"targets", "web"}}, Json{{"targets", {1}}}, Json{{"targets", {""}}}}) {
    const Error e = error_of(decode_targets_args(bad));
    EXPECT_EQ(e.code, ErrorCode::BadArguments) << bad.dump();
    EXPECT_NE(e.message.find("\"targets\""), std::string::npos) << e.message;
  }
}

TEST(Requests, SignalByNameOrNumber) {
  EXPECT_EQ(encode_args(SignalArgs{"9", {"web"}})["signal"], 9);  // a number goes as a number
  EXPECT_EQ(encode_args(SignalArgs{"HUP", {"web"}})["signal"], "HUP");
  for (const std::string sig : {"HUP", "SIGHUP", "1"}) {
    auto back = decode_signal_args(encode_args(SignalArgs{sig, {"web"}}));
    ASSERT_TRUE(back) << sig;
    EXPECT_EQ(signal_number(*back), SIGHUP);
    EXPECT_EQ(back->targets, (std::vector<std::string>{"web"}));
  }
  for (const Json& bad : {Json::object(), Json{{"signal", "NOPE"}}, Json{{"signal", 0}}, Json{{"signal", 65}},
                          Json{{"signal", true}}}) {
    const Error e = error_of(decode_signal_args(bad));
    EXPECT_EQ(e.code, ErrorCode::BadArguments);
    EXPECT_EQ(e.message, "\"signal\" must name a signal, such as \"HUP\" or 1") << bad.dump();
  }
}

TEST(Requests, TailRoundTripAndDefaults) {
  auto back = decode_tail_args(encode_args(TailArgs{"web", true, true, 50}));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, "web");
  EXPECT_TRUE(back->stderr_stream);
  EXPECT_TRUE(back->follow);
  EXPECT_EQ(back->lines, 50u);
  auto plain = decode_tail_args(Json{{"name", "web"}});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->stderr_stream);
  EXPECT_FALSE(plain->follow);
  EXPECT_EQ(plain->lines, 10u);
}

TEST(Requests, BadTailArgsNameTheKey) {
  EXPECT_EQ(error_of(decode_tail_args(Json::object())).message, "tail needs \"name\"");
  EXPECT_EQ(error_of(decode_tail_args(Json{{"name", "web"}, {"stream", "stdin"}})).message,
            "\"stream\" is stdout or stderr");
  EXPECT_EQ(error_of(decode_tail_args(Json{{"name", "web"}, {"follow", "yes"}})).message,
            "\"follow\" must be true or false");
  EXPECT_EQ(error_of(decode_tail_args(Json{{"name", "web"}, {"lines", -1}})).message,
            "\"lines\" must be a number of lines from 0 to 1000000");
  EXPECT_EQ(error_of(decode_tail_args(Json{{"name", "web"}, {"lines", 1000001}})).code, ErrorCode::BadArguments);
  EXPECT_EQ(decode_tail_args(Json{{"name", "web"}, {"lines", 1000000}})->lines, 1000000u);
}

// "bytes" and "offset" (XML-RPC's reads): the last N bytes, or from an offset on, where 0
// bytes is to the end.
TEST(Requests, TailAndMaintailByteRanges) {
  auto last = decode_tail_args(Json{{"name", "web"}, {"bytes", 100}});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->bytes, 100u);
  EXPECT_FALSE(last->offset);
  auto from = decode_maintail_args(encode_args(MaintailArgs{false, 10, 0, 4096}));
  ASSERT_TRUE(from);
  EXPECT_EQ(from->offset, 4096u);
  EXPECT_EQ(from->bytes, 0u);
  EXPECT_EQ(decode_tail_args(encode_args(TailArgs{"web", false, false, 10, 5, 7}))->offset, 7u);
  EXPECT_EQ(error_of(decode_tail_args(Json{{"name", "web"}, {"bytes", 0}})).message,
            "\"bytes\" must be a number of bytes from 1 to 1048576");
  EXPECT_EQ(error_of(decode_tail_args(Json{{"name", "web"}, {"offset", -1}})).message,
            "\"offset\" must be a byte offset from 0");
  EXPECT_EQ(error_of(decode_maintail_args(Json{{"offset", 0}, {"follow", true}})).message,
            "\"offset\" does not go with \"follow\"");
}

TEST(Requests, MaintailAndReloadRoundTrip) {
  auto m = decode_maintail_args(encode_args(MaintailArgs{true, 0}));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->follow);
  EXPECT_EQ(m->lines, 0u);
  auto r = decode_reload_args(encode_args(ReloadArgs{{"web"}, true}));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->dry_run);
  EXPECT_EQ(r->targets, (std::vector<std::string>{"web"}));
  EXPECT_EQ(error_of(decode_reload_args(Json{{"dry_run", 1}})).message, "\"dry_run\" must be true or false");
}
