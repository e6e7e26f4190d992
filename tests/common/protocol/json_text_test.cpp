// Tests for common/protocol/json_text.cpp: the text must be byte for byte what nlohmann's dump with
// error_handler_t::replace writes, which the daemon used before and clients may compare.

#include "common/protocol/json_text.hpp"

#include "common/process_info.hpp"
#include "common/protocol/protocol.hpp"

#include <gtest/gtest.h>

#include <random>

namespace konnect {
namespace {

std::string reference(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string ours(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonText, EscapesAsNlohmannDoes) {
  for (std::string_view text : {std::string_view(""), std::string_view("plain"), std::string_view("q\"b\\s/"),
                                std::string_view("\b\f\n\r\t"), std::string_view("\x01\x1f\x7f", 3),
                                std::string_view("nul\0byte", 8), std::string_view("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")}) {
    EXPECT_EQ(ours(text), reference(text)) << reference(text);
  }
}

TEST(JsonText, ReplacesInvalidUtf8AtTheSamePlaces) {
  // Stray continuation, impossible leads, overlong forms, surrogates, above U+10FFFF,
  // sequences broken in the middle and cut short by the end.
  for (std::string_view text : {"\x80", "a\xBFz", "\xC0\xAF", "\xC1\x81", "\xF5\x80\x80\x80", "\xFF",
                                "\xE0\x80\x80", "\xED\xA0\x80", "\xF0\x80\x80\x80", "\xF4\x90\x80\x80",
                                "\xE2\x82", "\xE2\x82z", "\xE2z\x82", "x\xF0\x9F\x98", "\xC3", "\xC3\xC3\xA9"}) {
    EXPECT_EQ(ours(text), reference(text)) << reference(text);
  }
}

TEST(JsonText, RandomBytesMatchNlohmann) {
  std::mt19937 rng(20261202);
  // Mostly bytes near the UTF-8 boundaries, so broken sequences are common.
  const unsigned char pool[] = {'a', '"', '\\', '\n', 0x01, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 12, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 3 == 0 ? rng() % 256 : pool[rng() % sizeof pool]);
    ASSERT_EQ(ours(text), reference(text)) << "round " << round;
  }
}

TEST(JsonText, ObjectMembersAndNumbers) {
  std::string out;
  JsonObject o(out);
  o.key("a").number(-9223372036854775807LL - 1).key("b").string("x").key("c").raw("[1]");
  o.close();
  EXPECT_EQ(out, R"({"a":-9223372036854775808,"b":"x","c":[1]})");
}

TEST(JsonText, ProcessObjectIsWhatTheJsonTreeGave) {
  ProcessInfo info;
  info.group = "web";
  info.process = "web_01";
  info.state = State::Backoff;
  info.pid = 0;
  info.start = 1764633600;
  info.stop = 1764633700;
  info.now = 1764633800;
  info.exitstatus = 137;
  info.spawnerr = "couldn't exec /srv/\xFFrun: Exec format error";
  info.log_error = "disk \"full\"";
  info.backoff_ms = 4000;
  const Json tree = {
      {"name", info.namespec()},   {"group", info.group},         {"process", info.process},
      {"state", "BACKOFF"},        {"pid", info.pid},             {"start", info.start},
      {"stop", info.stop},         {"now", info.now},             {"exitstatus", info.exitstatus},
      {"spawnerr", info.spawnerr}, {"log_error", info.log_error}, {"backoff_ms", info.backoff_ms},
      {"description", describe(info)}, {"health", "none"}, {"notify_status", ""}, {"restarts", 0},
  };
  std::string text;
  append_json(text, info);
  EXPECT_EQ(text, tree.dump(-1, ' ', false, Json::error_handler_t::replace));
  EXPECT_EQ(encode_ok_text(Json("x"), text), encode_ok(Json("x"), tree));
}

}  // namespace
}  // namespace konnect
