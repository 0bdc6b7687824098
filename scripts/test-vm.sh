#!/bin/bash
# The vm tier (separate from scripts/test.sh): composes manifests/minimal.yaml (apt lists and
# packages cached under .cache/compose), makes a qcow2 disk image with `apt-ostree compose
# image`, and boots it under QEMU (TCG) from the image alone, until a login prompt with no
# failed unit (scripts/boot-vm.sh). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build
work=$(mktemp -d /var/tmp/apt-ostree-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
ostree init --repo="$work/repo" --mode=archive
.build/debug/apt-ostree compose image manifests/minimal.yaml "$work/minimal.qcow2" \
    --repo="$work/repo" --cachedir=.cache/compose --format=qcow2
scripts/boot-vm.sh "$work/minimal.qcow2" 300 "$work/console.log"
echo "vm tier: passed"
