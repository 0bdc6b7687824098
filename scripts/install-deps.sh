#!/bin/bash
# Installs the Debian packages apt-ostree builds, tests and benchmarks with, on a machine that
# has only Swift. Runs apt-get only when something is missing.
set -euo pipefail
packages=(
    libostree-dev ostree libglib2.0-dev pkg-config   # libostree and GLib/GIO, headers and CLI (fixtures)
    e2fsprogs util-linux procps                      # chattr (immutable deployment folders), setpriv, pkill
    python3                                          # a second lock holder in the lock test
    dbus-daemon polkitd libglib2.0-bin systemd       # private bus, real polkitd, gdbus and busctl
    hyperfine                                        # bench/
    mmdebstrap bubblewrap                            # compose: bootstrap, sandboxed scripts and initramfs
    dpkg-dev                                         # dpkg-scanpackages: the tests' local apt repository
    gpg                                              # signed commits in the update tests
    fdisk extlinux syslinux-common qemu-utils        # compose image: partitions, bootloader, qcow2
    qemu-system-x86 bc                               # the vm tier and bench/compose boot images
    help2man curl                                    # manual pages (install.sh, build-deb.sh); countme's request
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing ${missing[*]}; run as root to install them" >&2
    exit 1
fi
echo "Installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
