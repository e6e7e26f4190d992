#include "common/protocol/results.hpp"

namespace konnect {

Json encode_results(const std::vector<ProcessResult>& results) {
  Json list = Json::array();
  for (const ProcessResult& r : results) {
    Json item = {{"name", r.name}, {"ok", r.ok()}};
    if (r.state) item["state"] = std::string(to_string(*r.state));
    if (r.error) item["error"] = {{"code", std::string(to_string(r.error->code))}, {"message", r.error->message}};
    list.push_back(std::move(item));
  }
  return {{"processes", std::move(list)}};
}

}  // namespace konnect
