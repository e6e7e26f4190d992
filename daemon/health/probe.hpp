#pragma once
// One attempt of a readiness or health check (SPEC.md "Readiness, health, order"): a TCP
// connect, an HTTP GET, a command. Probes never block the loop: run() starts the attempt
// and returns; its done runs once, on the loop, with success or why it failed.
// Destroying a probe cancels the attempt under way: done is then never called.

#include "common/config/config.hpp"
#include "common/error.hpp"

#include <functional>

namespace konnect {

class Probe {
 public:
  using Done = std::function<void(Result<void>)>;
  virtual ~Probe() = default;
  // Starts one attempt, failed with "timed out after LIMIT" if it takes longer than limit.
  // One at a time: run() again only after done.
  virtual void run(Duration limit, Done done) = 0;
};

}  // namespace konnect
