#!/bin/bash
# The crash harness (issue: crash safety). For each operation (install, uninstall, upgrade,
# kargs, rollback, cleanup) against a sysroot deployed from the composed minimal base, runs
# trials with each failpoint of that operation set (APT_OSTREE_FAILPOINTS=NAME=fail and
# NAME=abort) and the rest killed with SIGKILL after a random delay, and checks after each:
# the deployment set is the old or the complete new one, every origin parses, ostree fsck is
# clean, no lock is held, the next transaction succeeds. Prints a table; exits 1 on any
# inconsistency.
#   bench/crash/run.sh                     # the full run: 50 trials per operation
#   bench/crash/run.sh --quick --trials 0  # the reduced form the debian tier runs
#   (options: --ops install,kargs --trials N --kills N --quick --no-fsck --seed N -v)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${APT_OSTREE:-}" ]; then
    scripts/install-deps.sh
    swift build >/dev/null
    APT_OSTREE=$PWD/.build/debug/apt-ostree
fi
repo=$PWD/.cache/test-repo
ref=debian/bookworm/x86_64/minimal
[ -d "$repo/objects" ] || ostree init --repo="$repo" --mode=archive
rc=0
"$APT_OSTREE" compose tree manifests/minimal.yaml --repo="$repo" --cachedir=.cache/compose -q || rc=$?
[ $rc = 0 ] || [ $rc = 77 ] || { echo "crash harness: composing the base failed" >&2; exit 1; }
exec python3 bench/crash/crash.py --bin="$APT_OSTREE" --repo="$repo" --ref="$ref" "$@"
