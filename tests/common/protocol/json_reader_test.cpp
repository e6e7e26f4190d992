// Tests for common/protocol/json_reader.cpp: what it takes, nlohmann takes with the same strings; what
// nlohmann refuses, it refuses.

#include "common/protocol/json_reader.hpp"

#include "common/protocol/protocol.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace konnect {
namespace {

bool reader_takes(std::string_view text) {
  JsonReader r(text);
  return r.skip() && r.at_end();
}

bool nlohmann_takes(std::string_view text) { return !Json::parse(text, nullptr, false).is_discarded(); }

std::string read_string(std::string_view text) {
  JsonReader r(text);
  std::string out;
  EXPECT_TRUE(r.string(out)) << text;
  EXPECT_TRUE(r.at_end()) << text;
  return out;
}

TEST(JsonReader, TakesWhatNlohmannTakes) {
  for (std::string_view text :
       {"0", "-0", "12", "-3.25e+10", "1E-2", "true", "false", "null", "\"\"", "[]", "{}", " [ 1 , {\"a\" : [ ] } ] ",
        "{\"a\":{\"b\":{\"c\":[null,true,\"x\"]}}}", "[[],1]", "[{},{}]", "{\"a\":{},\"b\":[]}", "[[[]],[]]", "\"\\u00e9\\ud83d\\ude00\\n\\/\"", "123456789012345678901234567890"}) {
    EXPECT_TRUE(nlohmann_takes(text)) << text;
    EXPECT_TRUE(reader_takes(text)) << text;
  }
}

TEST(JsonReader, RefusesWhatNlohmannRefuses) {
  for (std::string_view text : std::vector<std::string_view>{
           "", " ", "01", "1.", ".5", "-", "1e", "+1", "1e400", "tru", "nul", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\"}",
        "{\"a\" 1}", "{1:2}", "[1 2]", "\"unterminated", "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\udc00\"",
        "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"",
        "[1] [2]", "{} x", "[", "]", "{\"a\":[}", std::string_view("[1,\0]", 5)}) {
    EXPECT_FALSE(nlohmann_takes(text)) << text;
    EXPECT_FALSE(reader_takes(text)) << text;
  }
}

TEST(JsonReader, StringsAreWhatNlohmannReads) {
  for (std::string_view text : {"\"plain\"", "\"q\\\"b\\\\s\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u0000nul\"",
                                "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"", "\"\\u00E9\\u20ac\\uD83D\\uDE00\""}) {
    EXPECT_EQ(read_string(text), Json::parse(text).get<std::string>()) << text;
  }
}

TEST(JsonReader, WalksObjectsAndArrays) {
  JsonReader r(R"({"name":"web","skip":{"deep":[1,[2,{"x":"y"}]]},"list":["a","b"],"on":true})");
  std::string key, name;
  std::vector<std::string> list;
  bool on = false;
  ASSERT_TRUE(r.begin_object());
  while (r.next_member(key)) {
    if (key == "name") {
      ASSERT_TRUE(r.string(name));
    } else if (key == "list") {
      ASSERT_TRUE(r.begin_array());
      while (r.next_element()) ASSERT_TRUE(r.string(list.emplace_back()));
    } else if (key == "on") {
      ASSERT_TRUE(r.boolean(on));
    } else {
      ASSERT_TRUE(r.skip());
    }
  }
  EXPECT_FALSE(r.failed());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(name, "web");
  EXPECT_EQ(list, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(on);
}

// Past kMaxDepth it refuses (nlohmann would take it; callers fall back), and never recurses.
TEST(JsonReader, DeepNestingIsRefusedNotACrash) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_FALSE(reader_takes(deep));
  std::string ok = std::string(JsonReader::kMaxDepth, '[') + std::string(JsonReader::kMaxDepth, ']');
  EXPECT_TRUE(reader_takes(ok));
}

// Documents with a byte changed, cut or dropped: the reader never takes one nlohmann refuses.
TEST(JsonReader, MutatedDocumentsNeverTakenWhenNlohmannRefuses) {
  const std::string base =
      R"({"a":[1,-2.5e3,0,{"b":null}],"s":"x\u00e9\ud83d\ude00\n","t":true,"f":false,"e":{},"l":[]})";
  std::mt19937 random(11);
  int taken = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = base;
    for (int k = 0; k < 1 + static_cast<int>(random() % 3); ++k) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0: text[at] = static_cast<char>(random() % 256); break;
        case 1: text.insert(at, 1, "{}[],:\"\\0-.eE \t"[random() % 15]); break;
        default: text.erase(at, 1); break;
      }
      if (text.empty()) text = "x";
    }
    if (reader_takes(text)) {
      ++taken;
      EXPECT_TRUE(nlohmann_takes(text)) << text;
    }
  }
  EXPECT_GT(taken, 100);
}

}  // namespace
}  // namespace konnect
