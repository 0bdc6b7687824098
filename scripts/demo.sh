#!/bin/bash
# The demo: builds apt-ostree, makes an OSTree sysroot in .cache/demo-sysroot with three
# deployments of small trees, and walks through status, rollback, kargs, deploy and cleanup.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (it makes a real OSTree sysroot)" >&2; exit 1; }
scripts/install-deps.sh
swift build
bin=$PWD/.build/debug/apt-ostree
sysroot=$PWD/.cache/demo-sysroot
if [ -d "$sysroot" ]; then
    chattr -i "$sysroot"/ostree/deploy/*/deploy/* 2>/dev/null || true
    rm -rf "$sysroot"
fi
scripts/make-sysroot.sh "$sysroot" --versions "12.1 12.2 12.3" --deploy 2
step() { printf '\n\033[1m$ apt-ostree %s\033[0m\n' "$*"; "$bin" "$@" --sysroot="$sysroot"; }
step status
step rollback
step status
step rollback
step kargs --append=quiet --replace=console=ttyS0=tty0
step kargs
step deploy 12.3
step status -v
step status --jsonpath '$.deployments[*].version'
step cleanup -r
step status

# The same through the daemon: a private system bus with a real polkitd, apt-ostreed serving
# the sysroot, and the client reaching it by DBUS_SYSTEM_BUS_ADDRESS.
bus=$PWD/.cache/demo-bus
scripts/private-bus.sh stop "$bus" 2>/dev/null || true
rm -rf "$bus"
export $(scripts/private-bus.sh start "$bus" | tail -1)
printf '[Daemon]\nIdleExitTimeout=0\n' > "$bus/apt-ostreed.conf"
.build/debug/apt-ostreed --sysroot="$sysroot" --config="$bus/apt-ostreed.conf" 2>"$bus/apt-ostreed.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null; scripts/private-bus.sh stop "$bus"' EXIT
until gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner org.debian.aptostree1 | grep -q true; do sleep 0.05; done
step status -v
step kargs --append=loglevel=4
printf '\n\033[1m$ setpriv --reuid=nobody apt-ostree rollback   # polkit says no\033[0m\n'
setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" rollback --sysroot="$sysroot" || true
printf '\n\033[1mapt-ostreed log:\033[0m\n'
cat "$bus/apt-ostreed.log"
printf '\nThe sysroot is in %s; `ostree admin status --sysroot=%s` shows the same.\n' "$sysroot" "$sysroot"
