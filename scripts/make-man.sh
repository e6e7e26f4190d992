#!/usr/bin/env bash
# Builds one man page with go-md2man (Debian package go-md2man) from docs/:
#   make-man.sh OUT.gz HEAD.md [BODY.md]
# HEAD.md holds the title line, NAME, SYNOPSIS and so on; BODY.md (a reference page in docs/)
# goes before HEAD's "# SEE ALSO", without its own title and each heading one level up, so
# "## Options" becomes a man section. Fenced code is left alone.
set -euo pipefail
out=$1 head=$2 body=${3:-}
{
  awk '/^# SEE ALSO/ { exit } { print }' "$head"
  if [ -n "$body" ]; then
    echo
    awk 'NR == 1 && /^# / { next }
         /^```/ { fence = !fence }
         !fence && /^##+ / { sub(/^#/, "") }
         { print }' "$body"
  fi
  awk '/^# SEE ALSO/ { see = 1 } see { print }' "$head"
} | go-md2man | gzip -9n > "$out"
