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
printf '\nThe sysroot is in %s; `ostree admin status --sysroot=%s` shows the same.\n' "$sysroot" "$sysroot"
