#!/bin/bash
# The vm tier (separate from scripts/test.sh): composes manifests/minimal.yaml (into
# .cache/vm-repo; apt lists and packages cached under .cache/compose), makes a disk image with
# `apt-ostree compose image`, and boots it under QEMU (TCG) from the image alone until a login
# prompt with no failed unit (scripts/boot-vm.sh). Then layers chrony into the image's sysroot
# with `apt-ostree install --sysroot` and boots again: the layered deployment is the default
# and chrony's service starts. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build
bin=$PWD/.build/debug/apt-ostree
repo=$PWD/.cache/vm-repo
[ -d "$repo/objects" ] || ostree init --repo="$repo" --mode=archive
work=$(mktemp -d /var/tmp/apt-ostree-vm.XXXXXX)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$bin" compose image manifests/minimal.yaml "$work/minimal.raw" --repo="$repo" --cachedir=.cache/compose --format=raw
scripts/boot-vm.sh "$work/minimal.raw" 300 "$work/console-base.log"
echo "vm tier: the composed image boots"

mkdir "$work/mnt"
mount -o loop,offset=1048576 "$work/minimal.raw" "$work/mnt"
"$bin" install chrony --sysroot="$work/mnt"
"$bin" status --sysroot="$work/mnt"
umount "$work/mnt"
scripts/boot-vm.sh "$work/minimal.raw" 300 "$work/console-layered.log"
if ! grep -a "Started.*chrony" "$work/console-layered.log" | sed 's/\x1b\[[0-9;]*m//g' | grep .; then
    echo "vm tier: the layered deployment booted, but chrony did not start" >&2
    exit 1
fi
echo "vm tier: the layered deployment boots and its service runs"
echo "vm tier: passed"
