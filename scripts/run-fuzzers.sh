#!/usr/bin/env bash
# Runs each libFuzzer target of build-fuzz/ for a bounded time (make fuzz) and prints how
# many inputs it tried. A crash, a leak or a sanitizer report stops the run with its log;
# the input that caused it is left in the build dir (crash-*, leak-*, timeout-*). The
# targets run as many at a time as there are cores (each is one process, one core): 8
# targets for 60 s take 4 minutes on 2 cores, not 8.
set -euo pipefail
dir=${1:-build-fuzz} seconds=${2:-60} seed=${3:-1} jobs=${4:-$(nproc)}
cd "$(dirname "$0")/.."

run() {  # TARGET: its run, its log in $dir/TARGET.log; exit status 1 on a finding
  local t=$1 log="$dir/$1.log"
  mkdir -p "$dir/corpus/$t"
  cp tests/fuzz/corpus/$t/* "$dir/corpus/$t/"
  (cd "$dir" && "./bin/${t}_fuzz" -max_total_time="$seconds" -max_len=8192 -seed="$seed" -timeout=10 \
      -print_final_stats=1 "corpus/$t") >"$log" 2>&1
}

report() {  # TARGET STATUS
  local t=$1 log="$dir/$1.log"
  if [ "$2" -ne 0 ]; then
    echo "fuzz: $t FAILED; its log: $log" >&2
    tail -40 "$log" >&2
    return 1
  fi
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $t: $runs inputs in $seconds s, no crash ($(ls "$dir/corpus/$t" | wc -l) in its corpus)"
}

targets=(request toml ini notify state xmlrpc http listener)
failed=0
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  batch=("${targets[@]:i:jobs}")
  pids=()
  for t in "${batch[@]}"; do
    run "$t" &
    pids+=($!)
  done
  for k in "${!batch[@]}"; do
    status=0
    wait "${pids[$k]}" || status=$?
    report "${batch[$k]}" "$status" || failed=1
  done
  [ "$failed" -eq 0 ] || exit 1
done
