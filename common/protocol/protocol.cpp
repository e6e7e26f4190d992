#include "common/protocol/protocol.hpp"

#include "common/protocol/json_text.hpp"

#include <utility>

namespace konnect {
namespace {

Error bad_request(std::string message) {
  return make_error(ErrorCode::BadRequest, std::move(message));
}

}  // namespace

Result<Request> parse_request(std::string_view line, Json* id_out) {
  Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad_request("request is not valid JSON");
  if (!doc.is_object()) return bad_request("request must be a JSON object");
  Request req;
  if (auto it = doc.find("id"); it != doc.end()) {
    // Only scalars: echoing a deeply nested value would recurse once per level.
    if (!it->is_number() && !it->is_string() && !it->is_null()) {
      return bad_request("\"id\" must be a number, a string or null");
    }
    req.id = *it;
    if (id_out) *id_out = req.id;
  }
  auto cmd = doc.find("cmd");
  if (cmd == doc.end() || !cmd->is_string()) return bad_request("request needs a string \"cmd\"");
  req.cmd = cmd->get<std::string>();
  if (auto args = doc.find("args"); args != doc.end() && !args->is_null()) {
    if (!args->is_object()) return bad_request("\"args\" must be a JSON object");
    req.args = std::move(*args);
  }
  return req;
}

std::string encode_request(const Request& request) {
  Json doc = {{"id", request.id}, {"cmd", request.cmd}};
  if (!request.args.empty()) doc["args"] = request.args;
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Response> parse_response(std::string_view line) {
  Json doc = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad_request("answer is not a JSON object");
  Response resp;
  if (auto it = doc.find("id"); it != doc.end()) resp.id = *it;
  auto ok = doc.find("ok");
  if (ok == doc.end() || !ok->is_boolean()) return bad_request("answer has no boolean \"ok\"");
  resp.ok = ok->get<bool>();
  if (resp.ok) {
    if (auto it = doc.find("result"); it != doc.end()) resp.result = std::move(*it);
    return resp;
  }
  auto err = doc.find("error");
  if (err == doc.end() || !err->is_object()) return bad_request("error answer has no \"error\" object");
  resp.error.code = error_code_from_string(err->value("code", ""));
  resp.error.message = err->value("message", "");
  return resp;
}

std::string encode_ok(const Json& id, const Json& result) {
  return encode_ok_text(id, result.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string encode_ok_text(const Json& id, std::string_view result_json) {
  // {"id":…,"ok":true,"result":…}: the keys in nlohmann's (sorted) order.
  std::string out;
  out.reserve(result_json.size() + 48);
  JsonObject o(out);
  o.key("id").raw(id.dump(-1, ' ', false, Json::error_handler_t::replace));
  o.key("ok").raw("true");
  o.key("result").raw(result_json);
  o.close();
  out += '\n';
  return out;
}

std::string encode_error(const Json& id, const Error& error) {
  Json doc = {{"id", id},
              {"ok", false},
              {"error", {{"code", std::string(to_string(error.code))}, {"message", error.to_string()}}}};
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

void LineBuffer::append(std::string_view bytes) {
  // Compact before growing so a long-lived connection does not keep consumed bytes.
  if (start_ > 0 && start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > 4096 && start_ * 2 > buffer_.size()) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
  buffer_.append(bytes);
}

LineBuffer::Status LineBuffer::next_line(std::string& line) {
  for (;;) {
    std::size_t nl = buffer_.find('\n', start_);
    if (discarding_) {
      if (nl == std::string::npos) {
        buffer_.clear();
        start_ = 0;
        return Status::NeedMore;
      }
      start_ = nl + 1;
      discarding_ = false;
      continue;
    }
    if (nl == std::string::npos) {
      if (buffer_.size() - start_ > max_line_) {
        buffer_.clear();
        start_ = 0;
        discarding_ = true;
        return Status::Overflow;
      }
      return Status::NeedMore;
    }
    if (nl - start_ > max_line_) {
      start_ = nl + 1;
      return Status::Overflow;
    }
    std::size_t end = nl;
    if (end > start_ && buffer_[end - 1] == '\r') --end;
    line.assign(buffer_, start_, end - start_);
    start_ = nl + 1;
    return Status::Line;
  }
}

}  // namespace konnect
