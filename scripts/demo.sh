#!/bin/bash
# The demo: builds apt-ostree; composes manifests/minimal.yaml (Debian 12 from the mirror, with
# mmdebstrap; apt lists and packages cached in .cache/compose) into the repo .cache/demo-repo and
# deploys it into the sysroot folder .cache/demo-composed; walks through status, install (htop
# from the mirror), db diff, kargs and rollback there; with DEMO_BOOT=1 also boots a disk image of it under QEMU. Then, on a sysroot
# of small synthetic trees (.cache/demo-sysroot), deploy by version, cleanup, and the daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (it makes a real OSTree sysroot)" >&2; exit 1; }
scripts/install-deps.sh
swift build
bin=$PWD/.build/debug/apt-ostree
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# Compose a real Debian base and deploy it.
repo=$PWD/.cache/demo-repo
composed=$PWD/.cache/demo-composed
[ -d "$repo" ] || ostree init --repo="$repo" --mode=archive
say apt-ostree compose tree manifests/minimal.yaml --repo="$repo" --cachedir=.cache/compose
"$bin" compose tree manifests/minimal.yaml --repo="$repo" --cachedir=.cache/compose || [ $? = 77 ]
say apt-ostree compose tree manifests/minimal.yaml --repo="$repo" --cachedir=.cache/compose '# again: nothing changed, exit 77'
"$bin" compose tree manifests/minimal.yaml --repo="$repo" --cachedir=.cache/compose || echo "(exit $?)"
if [ -d "$composed" ]; then
    chattr -i "$composed"/ostree/deploy/*/deploy/* 2>/dev/null || true
    rm -rf "$composed"
fi
say apt-ostree compose image debian/bookworm/x86_64/minimal "$composed" --format=sysroot --repo="$repo"
"$bin" compose image debian/bookworm/x86_64/minimal "$composed" --format=sysroot --repo="$repo"
cstep() { say apt-ostree "$@" --sysroot="$composed"; "$bin" "$@" --sysroot="$composed"; }
cstep status
cstep install htop
cstep db diff rollback pending
cstep kargs --append=console=ttyS0,115200n8
cstep rollback
cstep status -v
say dpkg-query --admindir="$composed/ostree/deploy/debian/deploy/*/usr/lib/sysimage/dpkg" -W systemd linux-image-amd64
dpkg-query --admindir="$(ls -d "$composed"/ostree/deploy/debian/deploy/*/usr/lib/sysimage/dpkg | head -1)" -W systemd linux-image-amd64
if [ "${DEMO_BOOT:-0}" = 1 ]; then
    say apt-ostree compose image debian/bookworm/x86_64/minimal .cache/demo-minimal.qcow2 --format=qcow2 --repo="$repo"
    "$bin" compose image debian/bookworm/x86_64/minimal .cache/demo-minimal.qcow2 --format=qcow2 --repo="$repo" --karg=systemd.show_status=1
    say scripts/boot-vm.sh .cache/demo-minimal.qcow2
    scripts/boot-vm.sh .cache/demo-minimal.qcow2 300 .cache/demo-console.log
    grep -a "login:" .cache/demo-console.log | tail -1
fi

# A sysroot of small synthetic trees, three versions of one ref.
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
