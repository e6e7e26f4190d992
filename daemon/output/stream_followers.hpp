#pragma once
// The `tail -f` listeners of each output stream. The pump hands every chunk it writes to a
// followed stream to on_data(); a listener stays until it returns false (its client went
// away) or its stream ends (a reload removed the program), and the pump stops handing out a
// stream's chunks once nobody listens.
//
// Owns: the listeners. Expects: the pump outlives it.

#include "daemon/output/output_pump.hpp"

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace konnect {

class StreamFollowers {
 public:
  explicit StreamFollowers(OutputPump& pump) : pump_(pump) {}

  // on_data gets every chunk of the stream until it returns false; on_end runs instead if
  // the stream ends. The caller has the pump follow the stream (tail_file with follow).
  void add(OutputPump::StreamId id, std::function<bool(const std::string&)> on_data, std::function<void()> on_end);
  // The stream is gone: each listener's on_end.
  void end(OutputPump::StreamId id);
  // The pump wrote `data` to the stream.
  void on_data(OutputPump::StreamId id, const std::string& data);

 private:
  struct Follower {
    std::function<bool(const std::string&)> on_data;
    std::function<void()> on_end;
  };
  OutputPump& pump_;
  std::unordered_map<OutputPump::StreamId, std::vector<Follower>> followers_;
};

}  // namespace konnect
