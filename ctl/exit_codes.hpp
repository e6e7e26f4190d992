#pragma once
// konnectctl's exit codes (SPEC.md "konnectctl"); scripts rely on these numbers.

namespace konnect::ctl {

inline constexpr int kExitOk = 0;           // success (stopping a stopped process too)
inline constexpr int kExitFailed = 1;       // an action failed, or the daemon answered an error
inline constexpr int kExitUsage = 2;        // unknown command or option, missing target, bad -c FILE
inline constexpr int kExitNotRunning = 3;   // `status` listed a process STOPPED, EXITED or FATAL
inline constexpr int kExitUnreachable = 4;  // cannot connect, or the connection dropped before an answer

}  // namespace konnect::ctl
