#!/bin/sh
# The vm tier's scenario inside the guest (scripts/test-vm.sh packages it with apt-ostree):
# one step per boot, the step number kept in /var/lib/aot-vmtest/step. Every result line
# starts with "AOT-VMTEST:" on the console; the host waits for "done" or "FAIL".
set -u
state=/var/lib/aot-vmtest/step
say() { echo "AOT-VMTEST: $*" > /dev/console; }
fail() {
    say "FAIL $*"
    apt-ostree status > /dev/console 2>&1
    systemctl poweroff
    exit 1
}
next() { echo "$1" > "$state"; sync; systemctl reboot; exit 0; }
mkdir -p /var/lib/aot-vmtest
step=$(cat "$state" 2>/dev/null || echo 0)
# The daemon is not installed in this image: the engine runs in-process.
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent
say "step $step starts ($(apt-ostree status --booted --json | grep -o '"checksum" : "[0-9a-f]*"' | head -1))"
case $step in
0)
    # The guest has no network: the package comes from a local repository only.
    echo "deb [trusted=yes] file:/usr/share/aot-vmtest/repo ./" > /etc/apt/sources.list
    rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources
    apt-ostree install --apply-live aot-vm-hello > /dev/console 2>&1 || fail "install --apply-live"
    [ "$(aot-vm-hello)" = "hello from the vm" ] || fail "the package is not usable at once"
    say "step 0: install --apply-live: the package runs at once"
    next 1
    ;;
1)
    [ "$(aot-vm-hello)" = "hello from the vm" ] || fail "the package is gone after the reboot"
    apt-ostree status --booted | grep -q "LayeredPackages: aot-vm-hello" || fail "the booted deployment does not layer it"
    say "step 1: after the reboot the package is layered and runs"
    apt-ostree rollback > /dev/console 2>&1 || fail "rollback"
    next 2
    ;;
2)
    if command -v aot-vm-hello >/dev/null; then fail "the package is still there after the rollback"; fi
    say "step 2: after the rollback and reboot the package is gone"
    echo "aot-vmtest-marker" > /etc/aot-vmtest.conf
    apt-ostree initramfs-etc --track=/etc/aot-vmtest.conf > /dev/console 2>&1 || fail "initramfs-etc --track"
    next 3
    ;;
3)
    # The overlay initrd reached /boot when the staged deployment was finalized, and this
    # boot's entry loads it after the initramfs.
    entry=$(grep -l "$(sed 's/.*\(ostree=[^ ]*\).*/\1/' /proc/cmdline)" /sysroot/boot/loader/entries/*.conf)
    overlay=$(sed -n 's|^initrd \(/ostree/initramfs-overlays/.*\)|\1|p' "$entry")
    [ -n "$overlay" ] || fail "the booted entry has no overlay initrd: $(grep initrd "$entry")"
    cpio -i --quiet --to-stdout etc/aot-vmtest.conf < "/sysroot/boot$overlay" | grep -q aot-vmtest-marker \
        || fail "the overlay initrd $overlay lacks /etc/aot-vmtest.conf"
    say "step 3: initramfs-etc: /etc/aot-vmtest.conf is in the booted entry's overlay initrd $overlay"
    apt-ostree initramfs-etc --untrack-all > /dev/console 2>&1 || fail "initramfs-etc --untrack-all"
    apt-ostree initramfs --enable --arg=-c --arg=gzip > /dev/console 2>&1 || fail "initramfs --enable"
    next 4
    ;;
4)
    apt-ostree initramfs | grep -q "Initramfs regeneration: enabled" || fail "regeneration is not enabled on the booted deployment"
    magic=$(head -c 2 /usr/lib/modules/*/initramfs.img | od -An -tx1 | tr -d ' ')
    [ "$magic" = 1f8b ] || fail "the booted deployment's initramfs is not the regenerated (gzip) one: $magic"
    say "step 4: booted the initramfs regenerated with -c gzip"
    say "done"
    systemctl poweroff
    ;;
esac
