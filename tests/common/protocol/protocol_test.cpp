// Tests for common/protocol/protocol.cpp: request parsing, answer encoding, and line framing.

#include "common/protocol/protocol.hpp"

#include <gtest/gtest.h>

namespace konnect {
namespace {

TEST(ParseRequest, ReadsIdCmdAndArgs) {
  auto r = parse_request(R"({"id":1,"cmd":"restart","args":{"targets":["web"]}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, Json(1));
  EXPECT_EQ(r->cmd, "restart");
  EXPECT_EQ(r->args, Json::parse(R"({"targets":["web"]})"));
}

TEST(ParseRequest, MissingArgsAndIdDefault) {
  auto r = parse_request(R"({"cmd":"status"})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->id.is_null());
  EXPECT_TRUE(r->args.is_object());
  EXPECT_TRUE(r->args.empty());
  auto n = parse_request(R"({"cmd":"status","args":null})");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->args.is_object());
}

TEST(ParseRequest, IdMayBeAnyScalar) {
  for (const char* id : {R"("abc")", "7", "null", "2.5"}) {
    auto r = parse_request(std::string(R"({"id":)") + id + R"(,"cmd":"x"})");
    ASSERT_TRUE(r) << id;
    EXPECT_EQ(r->id, Json::parse(id));
  }
}

// An array or object id is refused: echoing a deeply nested one would recurse per level
// (a 1 MiB "[[[[..." id overflowed the stack before).
TEST(ParseRequest, NestedIdIsBadRequest) {
  for (const char* id : {"[1,2]", R"({"a":1})"}) {
    auto r = parse_request(std::string(R"({"id":)") + id + R"(,"cmd":"x"})");
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
  }
  const std::string deep = R"({"cmd":"status","id":)" + std::string(500000, '[') + std::string(500000, ']') + "}";
  Json id = "untouched";
  auto r = parse_request(deep, &id);
  ASSERT_FALSE(r);
  EXPECT_EQ(id, "untouched");
}

TEST(ParseRequest, BadJsonIsBadRequest) {
  Json id = "untouched";
  auto r = parse_request("{not json", &id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
  EXPECT_EQ(id, Json("untouched"));
}

TEST(ParseRequest, NonObjectIsBadRequest) {
  for (const char* line : {"[1,2]", "42", R"("cmd")", "null", ""}) {
    auto r = parse_request(line);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest) << line;
  }
}

TEST(ParseRequest, MissingOrNonStringCmdIsBadRequestButKeepsId) {
  Json id;
  auto r = parse_request(R"({"id":7})", &id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
  EXPECT_NE(r.error().message.find("cmd"), std::string::npos);
  EXPECT_EQ(id, Json(7));

  Json id2;
  auto r2 = parse_request(R"({"id":"x","cmd":5})", &id2);
  ASSERT_FALSE(r2);
  EXPECT_EQ(id2, Json("x"));
}

TEST(ParseRequest, NonObjectArgsIsBadRequest) {
  Json id;
  auto r = parse_request(R"({"id":3,"cmd":"start","args":["web"]})", &id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::BadRequest);
  EXPECT_NE(r.error().message.find("args"), std::string::npos);
  EXPECT_EQ(id, Json(3));
}

TEST(EncodeRequest, RoundTripsAndEndsInNewline) {
  Request req{Json(42), "signal", Json{{"signal", "HUP"}, {"targets", {"a", "b"}}}};
  std::string line = encode_request(req);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto back = parse_request(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, req.id);
  EXPECT_EQ(back->cmd, req.cmd);
  EXPECT_EQ(back->args, req.args);
}

TEST(EncodeRequest, EmptyArgsAreOmitted) {
  std::string line = encode_request(Request{Json(1), "status", Json::object()});
  EXPECT_EQ(Json::parse(line), Json::parse(R"({"id":1,"cmd":"status"})"));
}

TEST(EncodeOk, RoundTripsThroughParseResponse) {
  Json result = {{"processes", {{{"name", "web"}, {"state", "RUNNING"}}}}};
  std::string line = encode_ok(Json("id-1"), result);
  EXPECT_EQ(line.back(), '\n');
  auto resp = parse_response(line);
  ASSERT_TRUE(resp);
  EXPECT_TRUE(resp->ok);
  EXPECT_EQ(resp->id, Json("id-1"));
  EXPECT_EQ(resp->result, result);
}

TEST(EncodeError, RoundTripsCodeAndMessage) {
  std::string line = encode_error(Json(2), make_error(ErrorCode::NoSuchProcess, "no such process: x"));
  EXPECT_EQ(line.back(), '\n');
  Json doc = Json::parse(line);
  EXPECT_EQ(doc["error"]["code"], "NO_SUCH_PROCESS");
  EXPECT_EQ(doc["ok"], false);
  auto resp = parse_response(line);
  ASSERT_TRUE(resp);
  EXPECT_FALSE(resp->ok);
  EXPECT_EQ(resp->id, Json(2));
  EXPECT_EQ(resp->error.code, ErrorCode::NoSuchProcess);
  EXPECT_EQ(resp->error.message, "no such process: x");
}

TEST(EncodeError, ConfigErrorMessageCarriesFileLineKey) {
  Error e = make_error(ErrorCode::Config, "expected true or false, got 1");
  e.file = "/etc/konnect/konnectd.toml";
  e.line = 12;
  e.key = "program.web.autostart";
  auto resp = parse_response(encode_error(Json(), e));
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->error.code, ErrorCode::Config);
  EXPECT_EQ(resp->error.message,
            "/etc/konnect/konnectd.toml:12: key 'program.web.autostart': expected true or false, got 1");
}

TEST(EncodeError, InvalidUtf8IsReplacedNotThrown) {
  std::string line = encode_error(Json(1), make_error(ErrorCode::Failed, "bad \xff byte"));
  EXPECT_TRUE(parse_response(line));
}

TEST(ParseResponse, RejectsMalformedAnswers) {
  for (const char* line : {"nope", "[]", R"({"id":1})", R"({"id":1,"ok":"yes"})", R"({"id":1,"ok":false})",
                           R"({"id":1,"ok":false,"error":"x"})"}) {
    auto r = parse_response(line);
    ASSERT_FALSE(r) << line;
    EXPECT_EQ(r.error().code, ErrorCode::BadRequest) << line;
  }
}

TEST(ParseResponse, UnknownErrorCodeMapsToFailed) {
  auto r = parse_response(R"({"id":1,"ok":false,"error":{"code":"WHATEVER","message":"m"}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error.code, ErrorCode::Failed);
}

TEST(LineBuffer, SplitsLinesAcrossAppends) {
  LineBuffer buf;
  std::string line;
  buf.append("fir");
  EXPECT_EQ(buf.next_line(line), LineBuffer::Status::NeedMore);
  buf.append("st\nsecond\nthi");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "first");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "second");
  EXPECT_EQ(buf.next_line(line), LineBuffer::Status::NeedMore);
  EXPECT_EQ(buf.buffered(), 3u);
  buf.append("rd\n");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "third");
  EXPECT_EQ(buf.buffered(), 0u);
}

TEST(LineBuffer, DropsCarriageReturnBeforeNewline) {
  LineBuffer buf;
  std::string line;
  buf.append("a\r\nb\r\r\n\r\nc\rd\n");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "a");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "b\r");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "c\rd");
}

TEST(LineBuffer, EmptyLinesAreLines) {
  LineBuffer buf;
  std::string line = "x";
  buf.append("\n\n");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(buf.next_line(line), LineBuffer::Status::NeedMore);
}

TEST(LineBuffer, LineOfExactlyTheCapIsAccepted) {
  LineBuffer buf(8);
  std::string line;
  buf.append("12345678\n");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "12345678");
}

// A >1 MiB line arriving in pieces: overflow is reported once, the rest of the line is
// discarded up to its newline, and the next line comes through intact.
TEST(LineBuffer, OverlongLineInPiecesOverflowsOnceThenRecovers) {
  LineBuffer buf;
  std::string line;
  std::string chunk(64 * 1024, 'x');
  int overflows = 0;
  for (std::size_t sent = 0; sent < kMaxLineBytes + 256 * 1024; sent += chunk.size()) {
    buf.append(chunk);
    for (;;) {
      auto s = buf.next_line(line);
      if (s == LineBuffer::Status::Overflow) ++overflows;
      ASSERT_NE(s, LineBuffer::Status::Line);
      if (s == LineBuffer::Status::NeedMore) break;
    }
    EXPECT_LE(buf.buffered(), kMaxLineBytes + chunk.size());
  }
  EXPECT_EQ(overflows, 1);
  buf.append("tail of the long line\n{\"cmd\":\"status\"}\n");
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, R"({"cmd":"status"})");
  EXPECT_EQ(buf.next_line(line), LineBuffer::Status::NeedMore);
}

// The whole >1 MiB line, newline included, in one append.
TEST(LineBuffer, OverlongLineInOneAppendOverflowsThenNextLineWorks) {
  LineBuffer buf;
  std::string line;
  buf.append(std::string(kMaxLineBytes + 1, 'y') + "\nnext\n");
  EXPECT_EQ(buf.next_line(line), LineBuffer::Status::Overflow);
  ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
  EXPECT_EQ(line, "next");
}

TEST(LineBuffer, ManySmallLinesDoNotAccumulate) {
  LineBuffer buf;
  std::string line;
  for (int i = 0; i < 20000; ++i) {
    buf.append("{\"id\":" + std::to_string(i) + "}\n");
    ASSERT_EQ(buf.next_line(line), LineBuffer::Status::Line);
    EXPECT_EQ(buf.buffered(), 0u);
  }
}

}  // namespace
}  // namespace konnect
