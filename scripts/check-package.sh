#!/usr/bin/env bash
# Installs the konnect .deb on this machine, checks what it installed, and purges it again
# (make package-check; needs root). Fails if any check fails; the package is removed either way.
set -euo pipefail
deb=$(readlink -f "$1")
export DEBIAN_FRONTEND=noninteractive
if dpkg-query -W -f='${Status}' konnect 2>/dev/null | grep -q 'install ok installed'; then
  echo "check-package: konnect is already installed here; not touching it" >&2
  exit 1
fi
trap 'dpkg --purge konnect >/dev/null 2>&1 || true' EXIT
echo "check-package: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version), Depends: $(dpkg-deb -f "$deb" Depends)"
apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
fail=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}" >/dev/null 2>&1; then echo "  ok   $1"; else echo "  FAIL $1"; fail=1; fi
}
check "konnectd --check on /etc/konnect/konnectd.toml" /usr/sbin/konnectd --check -c /etc/konnect/konnectd.toml
check "konnectctl --help" /usr/bin/konnectctl --help
check "konnectctl version says the daemon is not running (exit 4)" bash -c '/usr/bin/konnectctl -s /nonexistent version; [ $? -eq 4 ]'
for f in /lib/systemd/system/konnectd.service /etc/logrotate.d/konnect \
         /usr/share/bash-completion/completions/konnectctl \
         /usr/share/man/man8/konnectd.8.gz /usr/share/man/man1/konnectctl.1.gz /usr/share/man/man5/konnectd.toml.5.gz \
         /etc/konnect/conf.d/kano_konnect-uwsgi.toml.example /etc/konnect/conf.d/kano_konnect-celeryd.toml.example \
         /etc/konnect/conf.d/kano_konnect-migrate.toml.example; do
  check "$f" test -s "$f"
done
check "the unit runs the installed paths" grep -q '^ExecStart=/usr/sbin/konnectd ' /lib/systemd/system/konnectd.service
check "the unit reloads through konnectctl" grep -q '^ExecReload=/usr/bin/konnectctl ' /lib/systemd/system/konnectd.service
# The Kano-Konnect examples, enabled as an admin would (rename to .toml), pass --check too.
tmp=$(mktemp -d)
cp /etc/konnect/konnectd.toml "$tmp/"
mkdir "$tmp/conf.d"
for f in /etc/konnect/conf.d/*.toml.example; do cp "$f" "$tmp/conf.d/$(basename "$f" .example)"; done
check "konnectd --check with the three examples enabled" /usr/sbin/konnectd --check -c "$tmp/konnectd.toml"
rm -rf "$tmp"
check "dpkg lists the main config as a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' konnect | grep -q /etc/konnect/konnectd.toml"
# An upgrade to a newer package (this one, its version raised) with konnectd running: the
# postinst's `konnectctl reexec` makes konnectd run the new binary with the same pid, and the
# program keeps its pid (SPEC.md "Upgrade in place").
up=$(mktemp -d)
printf '[program.upgrade-check]\ncommand = ["/bin/sleep", "100000"]\nstartsecs = 0\n' > /etc/konnect/conf.d/upgrade-check.toml
/usr/sbin/konnectd -c /etc/konnect/konnectd.toml >"$up/konnectd.out" 2>&1 &
daemon=$!
trap 'kill -9 $daemon 2>/dev/null; rm -f /etc/konnect/conf.d/upgrade-check.toml; dpkg --purge konnect >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do /usr/bin/konnectctl pid upgrade-check >/dev/null 2>&1 && break; sleep 0.1; done
program=$(/usr/bin/konnectctl pid upgrade-check || echo none)
exe_before=$(stat -L -c %i /proc/$daemon/exe)
dpkg-deb -R "$deb" "$up/pkg"
sed -i 's/^Version: .*/&+upgrade1/' "$up/pkg/DEBIAN/control"
dpkg-deb -b "$up/pkg" "$up/konnect-newer.deb" >/dev/null
apt-get install -y -qq --no-install-recommends "$up/konnect-newer.deb" >"$up/upgrade.log" 2>&1 || cat "$up/upgrade.log"
check "the upgrade's postinst made konnectd run the new binary (konnectctl reexec)" \
  bash -c "[ \"\$(stat -L -c %i /proc/$daemon/exe)\" != $exe_before ] && grep -q 'took over' $up/upgrade.log"
check "konnectd kept its pid" kill -0 $daemon
check "the program kept its pid" bash -c "[ \"\$(/usr/bin/konnectctl pid upgrade-check)\" = $program ]"
/usr/bin/konnectctl shutdown >/dev/null 2>&1 || kill $daemon
wait $daemon 2>/dev/null || true
rm -f /etc/konnect/conf.d/upgrade-check.toml
rm -rf "$up"
dpkg --purge konnect >/dev/null
check "purge removes the binaries" test ! -e /usr/sbin/konnectd
trap - EXIT
[ "$fail" -eq 0 ] && echo "check-package: passed" || { echo "check-package: FAILED"; exit 1; }
