#!/bin/bash
# Runs COMMAND as if deployment INDEX (0: the default) of the sysroot folder SYSROOT were
# booted, without a VM: in a private mount namespace the deployment becomes / (chroot), the
# sysroot /sysroot, its boot folder /boot, the stateroot's var /var, with fresh /run (holding
# /run/ostree-booted) and /tmp. libostree then finds that deployment booted. Each run is a
# boot: whatever it mounted (a /usr overlay) and put in /run is gone when it ends.
#
# The host's apt-ostree build and the Swift runtime it needs are mounted at /run/aot/bin and
# /run/aot/swift, first on PATH; APT_OSTREE_BUILD names the build folder (default: the folder
# of the apt-ostree on PATH, or .build/debug).
#
# --bind DIR (repeatable) shows a host folder at the same path inside (a file: apt source).
#
# Usage: booted-ns.sh [--index N] [--bind DIR]... SYSROOT COMMAND [ARG...]
set -euo pipefail
index=0
binds=()
while [ $# -gt 0 ]; do
    case "$1" in
        --index) index=$2; shift 2 ;;
        --bind) binds+=("$(realpath "$2")"); shift 2 ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || { echo "usage: booted-ns.sh [--index N] [--bind DIR]... SYSROOT COMMAND [ARG...]" >&2; exit 2; }
sysroot=$(realpath "$1"); shift
if [ "${AOT_BOOTED_NS_INSIDE:-}" != 1 ]; then
    args=(--index "$index")
    for b in "${binds[@]}"; do args+=(--bind "$b"); done
    exec env AOT_BOOTED_NS_INSIDE=1 unshare --mount --propagation private -- "$0" "${args[@]}" "$sysroot" "$@"
fi

# Deployment INDEX: the boot entries sorted by version, newest (the default) first.
entry=$(for f in "$sysroot"/boot/loader/entries/*.conf; do
            printf '%s %s\n' "$(sed -n 's/^version //p' "$f")" "$f"
        done | sort -rn | sed -n "$((index + 1))p" | cut -d' ' -f2-)
[ -n "$entry" ] || { echo "booted-ns: no deployment $index in $sysroot" >&2; exit 1; }
bootlink=$(sed -n 's/^options .*ostree=\([^ ]*\).*/\1/p' "$entry")
d=$(realpath "$sysroot$bootlink")
os=$(basename "$(dirname "$(dirname "$d")")")

build=${APT_OSTREE_BUILD:-}
if [ -z "$build" ]; then
    if command -v apt-ostree >/dev/null; then build=$(dirname "$(realpath "$(command -v apt-ostree)")")
    else build=$(cd "$(dirname "$0")/.." && pwd)/.build/debug; fi
fi
swiftlib=$(ldd "$build/apt-ostreed" | sed -n 's/.*=> \(.*\)\/libswiftCore.so .*/\1/p')

mount --bind "$d" "$d"
# /usr as ostree-prepare-root leaves it: read-only, or the hotfix overlay (usroverlay --hotfix).
if [ -d "$d/.usr-ovl-upper" ]; then
    mount -t overlay overlay -o "lowerdir=$d/usr,upperdir=$d/.usr-ovl-upper,workdir=$d/.usr-ovl-work" "$d/usr"
else
    mount --bind "$d/usr" "$d/usr"
    mount -o remount,bind,ro "$d/usr"
fi
mount --rbind "$sysroot" "$d/sysroot"
mount --bind "$sysroot/boot" "$d/boot"
mount --bind "$sysroot/ostree/deploy/$os/var" "$d/var"
mount -t proc proc "$d/proc"
mount --rbind /dev "$d/dev"
mount --rbind /sys "$d/sys"
mount -t tmpfs -o mode=0755 tmpfs "$d/run"
mount -t tmpfs -o mode=1777 tmpfs "$d/tmp"
touch "$d/run/ostree-booted"
for b in "${binds[@]}"; do mkdir -p "$d$b" && mount --bind "$b" "$d$b"; done
mkdir -p "$d/run/aot/bin" "$d/run/aot/swift"
mount --bind "$build" "$d/run/aot/bin"
[ -z "$swiftlib" ] || mount --bind "$swiftlib" "$d/run/aot/swift"
exec chroot "$d" /usr/bin/env -i LD_LIBRARY_PATH=/run/aot/swift PATH=/run/aot/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LC_ALL=C.UTF-8 DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent "$@"
