#!/bin/bash
# The vm tier (separate from scripts/test.sh): composes manifests/minimal.yaml (into
# .cache/vm-repo; apt lists and packages cached under .cache/compose), makes a disk image with
# `apt-ostree compose image`, and boots it under QEMU (TCG) from the image alone until a login
# prompt with no failed unit (scripts/boot-vm.sh). Then layers chrony into the image's sysroot
# with `apt-ostree install --sysroot` and boots again: the layered deployment is the default
# and chrony's service starts. Last, the kernel side and live changes inside the guest: a
# package carrying this build of apt-ostree and scripts/vm/step.sh is layered into a fresh
# image, which then boots four times on one persistent disk: `install --apply-live` of a small
# package runs it at once; after a reboot it is layered; after `rollback` and a reboot it is
# gone; `initramfs-etc --track` puts an /etc file into an overlay initrd; `initramfs --enable
# --arg=-c --arg=gzip` regenerates the initramfs, and the guest boots it. Last, automatic
# updates: manifests/apt-ostree-host.yaml (the minimal base with the .deb scripts/build-deb.sh
# makes) becomes an image whose origin follows a remote served from the host over loopback HTTP
# (the guest reaches it at 10.0.2.2), with AutomaticUpdatePolicy=check; a newer commit is put
# on the remote, and in the guest apt-ostreed-automatic.service finds it and `status` shows it
# as the cached update (scripts/vm/auto.sh). Needs root.
#   scripts/test-vm.sh [boot] [layer] [live] [auto]    (the stages to run; default all four)
set -euo pipefail
stages=" ${*:-boot layer live auto} "
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build
bin=$PWD/.build/debug/apt-ostree
repo=$PWD/.cache/vm-repo
[ -d "$repo/objects" ] || ostree init --repo="$repo" --mode=archive
work=$(mktemp -d /var/tmp/apt-ostree-vm.XXXXXX)
cleanup() { umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# Boots DISK (persistent, reboots allowed) until the guest's scenario powers it off after
# "AOT-VMTEST: done" or a failure; prints its AOT-VMTEST lines, fails with its last output.
#   run_scenario NAME DISK TIMEOUT WHAT
run_scenario() {
    local log=$work/console-$1.log
    timeout "$3" qemu-system-x86_64 -accel tcg -m 2048 -smp 2 -display none -nic user,model=virtio-net-pci \
        -serial "file:$log" -drive "file=$2,format=raw,if=virtio" || true
    grep -a "AOT-VMTEST:" "$log" | tr -d '\r' | sed 's/\x1b\[[0-9;]*m//g' || true
    if ! grep -aq "AOT-VMTEST: done" "$log" || grep -aq "AOT-VMTEST: FAIL" "$log"; then
        cp "$log" "/var/tmp/apt-ostree-vm-$1.console.log"
        echo "vm tier: $4 failed; the guest's output (all: /var/tmp/apt-ostree-vm-$1.console.log):" >&2
        grep -av '^\[ *[0-9]' "$log" | tail -n 40 | tr -d '\r' | sed 's/\x1b\[[0-9;]*m//g' >&2
        exit 1
    fi
}
mkdir "$work/mnt"
if [[ $stages == *" boot "* || $stages == *" layer "* || $stages == *" live "* ]]; then
"$bin" compose image manifests/minimal.yaml "$work/minimal.raw" --repo="$repo" --cachedir=.cache/compose --format=raw
fi
if [[ $stages == *" boot "* ]]; then
scripts/boot-vm.sh "$work/minimal.raw" 300 "$work/console-base.log"
echo "vm tier: the composed image boots"
fi

if [[ $stages == *" layer "* ]]; then
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
fi

if [[ $stages == *" live "* ]]; then

# The kernel side and live changes, inside the guest.
pkg=$work/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/usr/lib/aot-vmtest/bin" "$pkg/usr/lib/aot-vmtest/swift" "$pkg/usr/bin" \
    "$pkg/usr/share/aot-vmtest/repo" "$pkg/lib/systemd/system" "$pkg/etc/systemd/system/multi-user.target.wants"
cp .build/debug/apt-ostree .build/debug/apt-ostreed "$pkg/usr/lib/aot-vmtest/bin/"
ldd .build/debug/apt-ostreed | awk '$3 ~ /\/swift\// { print $3 }' | xargs -r cp -t "$pkg/usr/lib/aot-vmtest/swift/"
printf '#!/bin/sh\nLD_LIBRARY_PATH=/usr/lib/aot-vmtest/swift exec /usr/lib/aot-vmtest/bin/apt-ostree "$@"\n' > "$pkg/usr/bin/apt-ostree"
chmod 755 "$pkg/usr/bin/apt-ostree"
install -m 755 scripts/vm/step.sh "$pkg/usr/lib/aot-vmtest/step.sh"
install -m 644 scripts/vm/aot-vmtest.service "$pkg/lib/systemd/system/aot-vmtest.service"
ln -s /lib/systemd/system/aot-vmtest.service "$pkg/etc/systemd/system/multi-user.target.wants/aot-vmtest.service"
printf 'Package: aot-vmtest\nVersion: 1.0\nArchitecture: amd64\nMaintainer: apt-ostree <apt-ostree@localhost>\nDescription: apt-ostree vm tier scenario\n' > "$pkg/DEBIAN/control"
hello=$work/hello
mkdir -p "$hello/DEBIAN" "$hello/usr/bin"
printf '#!/bin/sh\necho hello from the vm\n' > "$hello/usr/bin/aot-vm-hello"
chmod 755 "$hello/usr/bin/aot-vm-hello"
printf 'Package: aot-vm-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: apt-ostree <apt-ostree@localhost>\nDescription: a package for apply-live\n' > "$hello/DEBIAN/control"
dpkg-deb --root-owner-group -b "$hello" "$pkg/usr/share/aot-vmtest/repo/aot-vm-hello_1.0_all.deb" >/dev/null
(cd "$pkg/usr/share/aot-vmtest/repo" && dpkg-scanpackages . > Packages 2>/dev/null)
dpkg-deb --root-owner-group -b "$pkg" "$work/aot-vmtest_1.0_amd64.deb" >/dev/null
cp --sparse=always "$work/minimal.raw" "$work/live.raw"
mount -o loop,offset=1048576 "$work/live.raw" "$work/mnt"
"$bin" install "$work/aot-vmtest_1.0_amd64.deb" --sysroot="$work/mnt"
umount "$work/mnt"
run_scenario live "$work/live.raw" 2400 "the kernel-side and live scenario"
echo "vm tier: apply-live, reboot, rollback, initramfs-etc and a regenerated initramfs work in the guest"
fi

if [[ $stages == *" auto "* ]]; then
scripts/build-deb.sh >/dev/null
ref=debian/bookworm/x86_64/apt-ostree
"$bin" compose image manifests/apt-ostree-host.yaml "$work/host.raw" --repo="$repo" --cachedir=.cache/compose --format=raw
# The remote: this commit, then a newer one (one more file, a new version) on the same branch.
served=$work/served/repo
mkdir -p "$served"
ostree init --repo="$served" --mode=archive
ostree pull-local --repo="$served" "$repo" "$ref"
mkdir -p "$work/extra/usr/share/aot-vmtest"
echo update > "$work/extra/usr/share/aot-vmtest/update"
pkgs=$(ostree show --repo="$served" --print-metadata-key=aptostree.dpkg.pkglist "$ref")
kver=$(ostree show --repo="$served" --print-metadata-key=ostree.linux "$ref" | tr -d "'")
ostree commit --repo="$served" --branch="$ref" --tree=ref="$ref" --tree=dir="$work/extra" --no-bindings \
    --add-metadata-string=version=12.99 --add-metadata-string=ostree.linux="$kver" \
    --add-metadata=ostree.bootable=true --add-metadata=aptostree.dpkg.pkglist="$pkgs" >/dev/null
v2=$(ostree rev-parse --repo="$served" "$ref")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/served" "$port" > "$work/http.log" 2>&1 &
http=$!
trap 'kill $http 2>/dev/null || true; cleanup' EXIT
# The image: its origin follows the remote, the policy is check, the scenario runs at boot.
mount -o loop,offset=1048576 "$work/host.raw" "$work/mnt"
ostree admin set-origin --sysroot="$work/mnt" --index=0 --set=gpg-verify=false vm "http://10.0.2.2:$port/repo" "$ref"
deploy=$(ls -d "$work/mnt"/ostree/deploy/debian/deploy/*.0)
sed -i 's/^AutomaticUpdatePolicy=.*/AutomaticUpdatePolicy=check/' "$deploy/etc/apt-ostree/apt-ostreed.conf"
sed "s/AOT_V2/$v2/" scripts/vm/auto.sh > "$deploy/etc/aot-vmtest-auto.sh"
chmod 755 "$deploy/etc/aot-vmtest-auto.sh"
sed -e 's|^ExecStart=.*|ExecStart=/etc/aot-vmtest-auto.sh|' -e 's|^After=.*|After=multi-user.target network-online.target\nWants=network-online.target|' \
    scripts/vm/aot-vmtest.service > "$deploy/etc/systemd/system/aot-vmtest.service"
mkdir -p "$deploy/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/aot-vmtest.service "$deploy/etc/systemd/system/multi-user.target.wants/aot-vmtest.service"
"$bin" status --sysroot="$work/mnt"
umount "$work/mnt"
run_scenario auto "$work/host.raw" 1800 "the automatic update scenario"
grep -q "GET /repo/objects" "$work/http.log" || { echo "vm tier: the guest fetched nothing from the remote" >&2; exit 1; }
echo "vm tier: apt-ostreed-automatic.service in check mode finds the remote's update and status shows it as cached"
fi
echo "vm tier: passed"
