#pragma once
// Internal to the config loader: the ready, health and stop_prelude tables of a program.

#include "common/config/config.hpp"
#include "common/config/config_values.hpp"
#include "common/error.hpp"

namespace konnect::config_detail {

// `f` is the value of program.NAME.ready / program.NAME.health.
Result<ReadyCheck> read_ready(const Field& f);
Result<HealthCheck> read_health(const Field& f);
// watchdog = "30s": a positive duration, 100ms at least.
Result<Duration> read_watchdog(const Field& f);
// stop_prelude = { signal = "TSTP", wait = "200ms" }: signal required, wait (default 200ms)
// more than 0 and at most 60s.
Result<StopPrelude> read_stop_prelude(const Field& f);

}  // namespace konnect::config_detail
