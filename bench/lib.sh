# Shared set-up for bench/*: a release build, a work folder with a 3-deployment sysroot, and
# (bench_start_bus) a private bus with apt-ostreed serving that sysroot. Source it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build-release >/dev/null
bin=$PWD/.build-release/release
work=$(mktemp -d)
daemon=
bench_cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
    [ -d "$work/bus" ] && scripts/private-bus.sh stop "$work/bus" || true
    chattr -i "$work"/sysroot/ostree/deploy/*/deploy/* 2>/dev/null || true
    rm -rf "$work"
}
trap bench_cleanup EXIT
scripts/make-sysroot.sh "$work/sysroot" --versions "1.0 1.1 1.2"
printf '[Daemon]\nIdleExitTimeout=0\nLogLevel=warning\n' > "$work/conf"

# Whether apt-ostreed owns its name on the bus.
bench_owned() {
    gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.NameHasOwner org.debian.aptostree1 | grep -q true
}

# Starts the private bus (exporting DBUS_SYSTEM_BUS_ADDRESS) and a warm apt-ostreed.
bench_start_bus() {
    export $(scripts/private-bus.sh start "$work/bus" | tail -1)
}
bench_start_daemon() {
    "$bin/apt-ostreed" --sysroot="$work/sysroot" --config="$work/conf" & daemon=$!
    until bench_owned; do sleep 0.002; done
}

# Prints median and mean of hyperfine JSON exports.
bench_report() {
    python3 - "$@" <<'PY'
import json, sys
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        print(f'{r["command"]:50s} median {r["median"]*1000:6.1f} ms   mean {r["mean"]*1000:6.1f} ms')
PY
}
