#!/bin/bash
# Builds the Debian package of apt-ostree with dpkg-deb: the files scripts/install.sh puts in
# place (release binaries with the Swift runtime linked in, so only Debian's libraries are
# needed), Depends from dpkg-shlibdeps plus the programs the engine runs, conffiles, and
# maintainer scripts that enable the units through deb-systemd-helper.
#
#   scripts/build-deb.sh [OUTDIR]        (BIN_DIR=DIR: take the binaries from DIR)
# Prints the path of the .deb.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-.build-deb}" && cd "${1:-.build-deb}" && pwd)
if [ -z "${BIN_DIR:-}" ]; then
    swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path .build-release >&2
    export BIN_DIR=.build-release/release
fi
version=$("$BIN_DIR/apt-ostree" --version | awk '{print $NF}')
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
NO_ENABLE=1 scripts/install.sh "$root" >&2
strip --strip-unneeded "$root/usr/bin/apt-ostree" "$root/usr/libexec/apt-ostreed"
install -D -m 644 /dev/stdin "$root/usr/share/doc/apt-ostree/copyright" <<'COPY'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: apt-ostree

Files: *
Copyright: the apt-ostree developers
License: Apache-2.0
 On Debian systems, the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
COPY
printf 'apt-ostree (%s) unstable; urgency=medium\n\n  * Package built by scripts/build-deb.sh.\n\n -- apt-ostree developers <apt-ostree@localhost>  %s\n' \
    "$version" "$(date -R -u -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
    | gzip -9n > "$root/usr/share/doc/apt-ostree/changelog.gz"

# Shared libraries, as Debian computes them (dpkg-shlibdeps wants a debian/control).
mkdir -p "$stage/debian"
printf 'Source: apt-ostree\n\nPackage: apt-ostree\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O root/usr/bin/apt-ostree root/usr/libexec/apt-ostreed 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p')

mkdir -p "$root/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: apt-ostree
Version: $version
Architecture: $arch
Maintainer: apt-ostree developers <apt-ostree@localhost>
Installed-Size: $installed_size
Depends: $shlibs, ostree, apt, dpkg (>= 1.21), bubblewrap, dbus, polkitd, curl, systemd
Recommends: mmdebstrap, initramfs-tools | dracut
Suggests: e2fsprogs, fdisk, extlinux, syslinux-common, qemu-utils
Section: admin
Priority: optional
Homepage: https://github.com/apt-ostree
Description: image-based, atomic Debian with APT package layering
 apt-ostree manages a Debian or Ubuntu system whose operating system is an
 OSTree commit: every change is a new deployment, a reboot (or apply-live)
 switches to it, and rollback brings the previous one back. Packages are
 layered with APT and dpkg; commands, flags, exit codes and status --json
 follow rpm-ostree. The apt-ostreed daemon runs each change as a transaction
 on the system D-Bus, authorized through polkit.
CONTROL
echo /etc/apt-ostree/apt-ostreed.conf > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
    # The boot status log and the automatic update timer are on (the timer does nothing
    # while AutomaticUpdatePolicy=none); countme stays off until the admin opts in.
    for unit in apt-ostree-bootstatus.service apt-ostreed-automatic.timer; do
        if deb-systemd-helper --quiet was-enabled "$unit"; then
            deb-systemd-helper enable "$unit" >/dev/null || true
        else
            deb-systemd-helper update-state "$unit" >/dev/null || true
        fi
    done
    deb-systemd-helper update-state apt-ostree-countme.timer >/dev/null || true
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
        # A running daemon picks up the new binary at its next start.
        deb-systemd-invoke try-restart apt-ostreed.service >/dev/null || true
    fi
fi
POSTINST
cat > "$root/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper purge apt-ostree-bootstatus.service apt-ostreed-automatic.timer apt-ostree-countme.timer >/dev/null || true
fi
POSTRM
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"
deb=$out/apt-ostree_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
