#!/usr/bin/env bash
# `make run`: konnectd in the foreground on the bundled example config.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-examples/konnectd.toml}
mkdir -p run
cat <<EOT
konnectd is starting in the foreground on $config (Ctrl-C stops it and every program).
In another terminal, talk to it with:

  build/bin/konnectctl -s run/konnectd.sock status
  build/bin/konnectctl -s run/konnectd.sock restart clock
  build/bin/konnectctl -s run/konnectd.sock tail -f clock
  build/bin/konnectctl -s run/konnectd.sock shutdown

or open http://127.0.0.1:9001/ in a browser (Prometheus' metrics: http://127.0.0.1:9001/metrics).

EOT
# A checkout is often not root's: konnectd would refuse its files when run as root.
exec build/bin/konnectd --allow-insecure-config -c "$config"
