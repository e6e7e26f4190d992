#!/usr/bin/env bash
# Runs each libFuzzer target of build-fuzz/ for a bounded time (make fuzz) and prints how
# many inputs it tried. A crash, a leak or a sanitizer report stops the run with its log;
# the input that caused it is left in the build dir (crash-*, leak-*, timeout-*).
set -euo pipefail
dir=${1:-build-fuzz} seconds=${2:-60} seed=${3:-1}
cd "$(dirname "$0")/.."
for t in request toml ini notify state xmlrpc http listener; do
  mkdir -p "$dir/corpus/$t"
  cp tests/fuzz/corpus/$t/* "$dir/corpus/$t/"
  log="$dir/$t.log"
  if ! (cd "$dir" && "./bin/${t}_fuzz" -max_total_time="$seconds" -max_len=8192 -seed="$seed" -timeout=10 \
          -print_final_stats=1 "corpus/$t") >"$log" 2>&1; then
    echo "fuzz: $t FAILED; its log: $log" >&2
    tail -40 "$log" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $t: $runs inputs in $seconds s, no crash ($(ls "$dir/corpus/$t" | wc -l) in its corpus)"
done
