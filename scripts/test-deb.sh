#!/bin/bash
# Installs a built apt-ostree .deb into a fresh Debian 12 minbase (mmdebstrap) with
# `apt-get install ./FILE.deb`, as an admin would, and checks the result: every file where the
# units and policies expect it, the units pass `systemd-analyze verify`, both programs run,
# and the daemon is activated by the D-Bus activation file on a bus inside that system.
# Downloaded packages are cached under .cache/deb-archives.
#
#   scripts/test-deb.sh DEB [ROOTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(realpath "${1:?usage: test-deb.sh DEB [ROOTDIR]}")
root=${2:-$(mktemp -d /var/tmp/apt-ostree-deb.XXXXXX)}
mirror=${APT_OSTREE_TEST_MIRROR:-http://deb.debian.org/debian}
mkdir -p .cache/deb-archives
cache=$(realpath .cache/deb-archives)
rm -rf "$root"
mmdebstrap --quiet --variant=minbase --skip=download/empty \
    --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" && cp -al $cache/. \"\$1/var/cache/apt/archives/\"" \
    --customize-hook="copy-in $deb /tmp" \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/$(basename "$deb") >/dev/null" \
    --customize-hook="cp -n \"\$1\"/var/cache/apt/archives/*.deb $cache/ 2>/dev/null || true" \
    bookworm "$root" "$mirror"
echo "installed: $(chroot "$root" dpkg-query -W -f='${Package} ${Version} ${Status}' apt-ostree)"
for f in usr/bin/apt-ostree usr/libexec/apt-ostreed etc/apt-ostree/apt-ostreed.conf \
         usr/share/dbus-1/system.d/org.debian.aptostree1.conf usr/share/dbus-1/system-services/org.debian.aptostree1.service \
         usr/share/polkit-1/actions/org.debian.aptostree1.policy \
         lib/systemd/system/apt-ostreed.service lib/systemd/system/apt-ostree-bootstatus.service \
         lib/systemd/system/apt-ostreed-automatic.service lib/systemd/system/apt-ostreed-automatic.timer \
         lib/systemd/system/apt-ostree-countme.service lib/systemd/system/apt-ostree-countme.timer \
         usr/share/bash-completion/completions/apt-ostree usr/share/zsh/vendor-completions/_apt-ostree \
         usr/share/fish/vendor_completions.d/apt-ostree.fish usr/share/man/man1/apt-ostree.1.gz \
         usr/share/man/man8/apt-ostreed.8.gz usr/share/man/man5/apt-ostreed.conf.5.gz \
         usr/share/apt-ostree/initramfs-tools/hooks/apt-ostree; do
    [ -e "$root/$f" ] || { echo "missing: /$f"; exit 1; }
done
echo "files: all in place"
# The programs each unit and the activation file name exist in the installed system.
for exe in $(grep -h '^Exec' "$root"/lib/systemd/system/apt-ostree*.{service,timer} "$root"/lib/systemd/system/apt-ostreed*.service \
             "$root/usr/share/dbus-1/system-services/org.debian.aptostree1.service" 2>/dev/null | sed 's/^Exec[A-Za-z]*=//; s/ .*//' | sort -u); do
    [ -x "$root$exe" ] || { echo "not executable: $exe"; exit 1; }
done
echo "enabled: $(cd "$root/etc/systemd/system" && ls -- */ 2>/dev/null | grep apt-ostree | sort | tr '\n' ' ')"
units=$(cd "$root" && ls lib/systemd/system/apt-ostree*.service lib/systemd/system/apt-ostree*.timer lib/systemd/system/apt-ostreed*.service lib/systemd/system/apt-ostreed*.timer | sed 's|^|/|')
# shellcheck disable=SC2086
systemd-analyze verify --man=no --root="$root" $units
echo "systemd-analyze verify: clean"
# Inside the installed system (its own /proc: Swift reads its arguments there): the
# programs run, and a system bus configured from the installed policy activates apt-ostreed.
unshare --mount --fork sh -c "mount -t proc proc '$root/proc' && chroot '$root' /bin/sh -s" <<'INSIDE'
set -e
echo "apt-ostree --version: $(apt-ostree --version)"
echo "apt-ostreed --version: $(/usr/libexec/apt-ostreed --version)"
ostree admin init-fs / >/dev/null && ostree admin os-init debian >/dev/null
cat > /tmp/bus.conf <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/tmp/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <standard_system_servicedirs/>
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
    <allow send_destination="org.freedesktop.DBus"/>
  </policy>
  <includedir>/usr/share/dbus-1/system.d</includedir>
</busconfig>
CONF
dbus-daemon --config-file=/tmp/bus.conf --fork --print-pid=3 3>/tmp/bus.pid
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/tmp/bus.sock
path=$(dbus-send --system --print-reply=literal --dest=org.debian.aptostree1 /org/debian/aptostree1/Sysroot \
    org.freedesktop.DBus.Properties.Get string:org.debian.aptostree1.Sysroot string:Path)
echo "activated: Sysroot.Path =$path"
policy=$(dbus-send --system --print-reply=literal --dest=org.debian.aptostree1 /org/debian/aptostree1/Sysroot \
    org.freedesktop.DBus.Properties.Get string:org.debian.aptostree1.Sysroot string:AutomaticUpdatePolicy)
echo "AutomaticUpdatePolicy =$policy"
kill "$(cat /tmp/bus.pid)"; for p in $(pidof apt-ostreed || true); do kill "$p"; done
INSIDE
echo "package test: passed"
