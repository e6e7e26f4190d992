#pragma once
// Internal to the config loader: the ready and health tables of a program.

#include "common/config/config.hpp"
#include "common/config/config_values.hpp"
#include "common/error.hpp"

namespace konnect::config_detail {

// `f` is the value of program.NAME.ready / program.NAME.health.
Result<ReadyCheck> read_ready(const Field& f);
Result<HealthCheck> read_health(const Field& f);
// watchdog = "30s": a positive duration, 100ms at least.
Result<Duration> read_watchdog(const Field& f);

}  // namespace konnect::config_detail
