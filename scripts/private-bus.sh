#!/bin/bash
# A private system-like D-Bus with a real polkitd on it, for tests and benchmarks.
#
#   private-bus.sh start DIR [DAEMON_ARGS...]   writes DIR/bus.conf, starts dbus-daemon and polkitd,
#                                               prints DBUS_SYSTEM_BUS_ADDRESS=...; DAEMON_ARGS make
#                                               apt-ostreed bus-activatable with those arguments
#   private-bus.sh stop DIR                     stops them
#
# The bus applies the policy shipped in data/dbus-1/system.d (only root owns the name), and
# polkitd reads the actions shipped in data/polkit-1/actions, installed where polkitd looks.
set -euo pipefail
cmd=${1:?usage: private-bus.sh start|stop DIR}; dir=${2:?usage: private-bus.sh start|stop DIR}; shift 2
top=$(cd "$(dirname "$0")/.." && pwd)

case $cmd in
start)
    mkdir -p "$dir/services"
    chmod 755 "$dir"
    policy=$top/data/polkit-1/actions/org.debian.aptostree1.policy
    target=/usr/share/polkit-1/actions/org.debian.aptostree1.policy
    if ! cmp -s "$policy" "$target"; then   # atomic: parallel test runs may race here
        install -m 644 "$policy" "$target.tmp.$$" && mv -f "$target.tmp.$$" "$target"
    fi
    if [ $# -gt 0 ]; then
        printf '[D-BUS Service]\nName=org.debian.aptostree1\nExec=%s\nUser=root\n' "$*" > "$dir/services/org.debian.aptostree1.service"
    fi
    cat > "$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$dir/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$dir/services</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
  </policy>
  <include ignore_missing="yes">/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf</include>
  <include>$top/data/dbus-1/system.d/org.debian.aptostree1.conf</include>
</busconfig>
CONF
    dbus-daemon --config-file="$dir/bus.conf" --fork --print-pid=3 --print-address=4 3>"$dir/dbus.pid" 4>"$dir/address" \
        </dev/null >"$dir/dbus.log" 2>&1
    address=$(head -1 "$dir/address")
    DBUS_SYSTEM_BUS_ADDRESS=$address /usr/lib/polkit-1/polkitd --no-debug </dev/null >"$dir/polkitd.log" 2>&1 &
    echo $! > "$dir/polkitd.pid"
    for _ in $(seq 100); do
        DBUS_SYSTEM_BUS_ADDRESS=$address gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
            --method org.freedesktop.DBus.NameHasOwner org.freedesktop.PolicyKit1 2>/dev/null | grep -q true && break
        sleep 0.05
    done
    echo "DBUS_SYSTEM_BUS_ADDRESS=$address"
    ;;
stop)
    for p in polkitd dbus; do
        [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
    ;;
*) echo "private-bus.sh: unknown command $cmd" >&2; exit 2 ;;
esac
