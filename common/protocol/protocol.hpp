#pragma once
// The wire protocol of SPEC.md: one JSON object per line each way over a Unix stream socket.
//   request:  {"id":1,"cmd":"restart","args":{"targets":["web"]}}
//   answer:   {"id":1,"ok":true,"result":{...}}
//          or {"id":1,"ok":false,"error":{"code":"NO_SUCH_PROCESS","message":"..."}}
// Pure encode/decode and line framing; no sockets here (docs/protocol.md lists commands).

#include "common/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace konnect {

using Json = nlohmann::json;

inline constexpr std::size_t kMaxLineBytes = 1024 * 1024;  // SPEC.md: larger requests are refused

struct Request {
  Json id;  // echoed in the answer; any JSON value, null when absent
  std::string cmd;
  Json args = Json::object();  // always an object
};

struct Response {
  Json id;
  bool ok = false;
  Json result;  // when ok
  Error error;  // when !ok
};

// Parses one request line (without the newline). On error, *id_out (if given) holds the
// request's id when it could be read, so the error answer can carry it.
Result<Request> parse_request(std::string_view line, Json* id_out = nullptr);
std::string encode_request(const Request& request);  // ends in '\n'

Result<Response> parse_response(std::string_view line);
std::string encode_ok(const Json& id, const Json& result);  // ends in '\n'
// The same answer around a result already written as JSON text (common/protocol/json_text.hpp).
std::string encode_ok_text(const Json& id, std::string_view result_json);  // ends in '\n'
std::string encode_error(const Json& id, const Error& error);  // ends in '\n'

// Splits a byte stream into lines of at most kMaxLineBytes. Bytes go in with append(); whole
// lines come out of next_line() without their '\n' (a trailing '\r' is dropped too). A line
// that grows past the cap makes next_line() report overflow once, and the rest of that line
// is discarded up to its newline.
class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  void append(std::string_view bytes);

  enum class Status { Line, NeedMore, Overflow };
  Status next_line(std::string& line);

  std::size_t buffered() const { return buffer_.size() - start_; }

 private:
  std::size_t max_line_;
  std::string buffer_;
  std::size_t start_ = 0;     // first unconsumed byte
  bool discarding_ = false;   // inside an over-long line, waiting for its '\n'
};

}  // namespace konnect
