#!/bin/bash
# Installs apt-ostree into DESTDIR (default /): the client, the daemon, its D-Bus policy,
# activation file and interface, the polkit actions, the systemd unit and the default config
# (an existing config is kept), compose's initramfs hook and the example manifests. Builds release binaries first unless BIN_DIR is given.
#
#   scripts/install.sh [DESTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-/}
if [ -z "${BIN_DIR:-}" ]; then
    swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build-release >/dev/null
    BIN_DIR=.build-release/release
fi
install -D -m 755 "$BIN_DIR/apt-ostree" "$dest/usr/bin/apt-ostree"
install -D -m 755 "$BIN_DIR/apt-ostreed" "$dest/usr/libexec/apt-ostreed"
install -D -m 644 data/dbus-1/system.d/org.debian.aptostree1.conf "$dest/usr/share/dbus-1/system.d/org.debian.aptostree1.conf"
install -D -m 644 data/dbus-1/system-services/org.debian.aptostree1.service \
    "$dest/usr/share/dbus-1/system-services/org.debian.aptostree1.service"
install -D -m 644 data/org.debian.aptostree1.xml "$dest/usr/share/dbus-1/interfaces/org.debian.aptostree1.xml"
install -D -m 644 data/polkit-1/actions/org.debian.aptostree1.policy \
    "$dest/usr/share/polkit-1/actions/org.debian.aptostree1.policy"
install -D -m 644 data/systemd/apt-ostreed.service "$dest/lib/systemd/system/apt-ostreed.service"
install -D -m 644 data/systemd/apt-ostree-bootstatus.service "$dest/lib/systemd/system/apt-ostree-bootstatus.service"
mkdir -p "$dest/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/apt-ostree-bootstatus.service "$dest/etc/systemd/system/multi-user.target.wants/apt-ostree-bootstatus.service"
# compose's data: the initramfs-tools hook it puts into every bootable tree, the example manifests.
install -D -m 755 data/initramfs-tools/hooks/apt-ostree "$dest/usr/share/apt-ostree/initramfs-tools/hooks/apt-ostree"
install -D -m 755 data/initramfs-tools/scripts/local-bottom/apt-ostree \
    "$dest/usr/share/apt-ostree/initramfs-tools/scripts/local-bottom/apt-ostree"
for m in manifests/*.yaml; do install -D -m 644 "$m" "$dest/usr/share/apt-ostree/$m"; done
if [ ! -e "$dest/etc/apt-ostree/apt-ostreed.conf" ]; then
    install -D -m 644 data/apt-ostreed.conf "$dest/etc/apt-ostree/apt-ostreed.conf"
fi
echo "Installed apt-ostree into $dest"
