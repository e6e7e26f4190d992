#!/bin/sh
# Prints a line a second and exits with status 1 after $1 seconds (default 30).
n=${1:-30}
i=0
while [ "$i" -lt "$n" ]; do
  echo "flaky: up for ${i}s"
  i=$((i + 1))
  sleep 1
done
echo "flaky: giving up" >&2
exit 1
