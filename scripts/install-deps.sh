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
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
