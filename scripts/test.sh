#!/bin/bash
# The test command: installs what the tests need, builds, and runs the unit and sysroot tiers
# (real `ostree admin` sysroots in temp folders; needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: the sysroot tests make real OSTree sysroots and need root" >&2
    exit 1
fi
scripts/install-deps.sh
swift build
swift test "$@"
