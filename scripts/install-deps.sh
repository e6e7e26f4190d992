#!/usr/bin/env bash
# Installs the Debian packages konnect builds and tests with, when any is missing.
# Idempotent and quiet when everything is present; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libboost1.81-dev libboost-filesystem1.81-dev
  libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  procps
  passwd util-linux   # the access tests create a user (useradd) and run konnectctl as it (setpriv)
  bash-completion     # the completion test runs packaging/konnectctl.bash in bash
  go-md2man           # man pages from docs/ (scripts/make-man.sh)
  # tests/e2e/: the seed host's stack, from Debian (RabbitMQ runs as a plain process there)
  uwsgi-core uwsgi-plugin-python3 python3-django celery python3-celery rabbitmq-server python3-venv
  libexpat1-dev       # the XML-RPC parser (common/xmlrpc/)
  supervisor          # tests/integration/xmlrpc: Debian's own supervisorctl against konnectd
  nginx               # in front of uWSGI, as on the seed host (tests/e2e starts it as a plain process)
  prometheus          # tests/integration/metrics: promtool checks a scrape; a real server scrapes konnectd
  chromium chromium-driver python3-selenium   # tests/integration/web_page: the page in headless Chromium
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Services these packages bring (prometheus on :9090, where the e2e tests' uWSGI listens;
# nginx, rabbitmq) must not start: the tests start what they need as plain processes.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && own_policy=1
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[ -n "$own_policy" ] && $sudo rm -f "$policy"
exit $status
