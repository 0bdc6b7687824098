#!/bin/bash
# Boots a disk image under QEMU with software emulation (TCG; KVM on these machines cannot run
# a stock kernel; user-mode networking, so DHCP answers) and watches the serial console:
# succeeds when a login prompt and multi-user.target appear with no [FAILED] unit, prints
# "boot-seconds N". The console log is kept
# in LOG (default IMAGE.console.log).
#   scripts/boot-vm.sh IMAGE [TIMEOUT_SECONDS] [LOG]
set -euo pipefail
image=$1
timeout=${2:-300}
log=${3:-$image.console.log}
format=raw
case "$image" in *.qcow2) format=qcow2 ;; esac
rm -f "$log"
start=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -m 1536 -smp 2 -display none -no-reboot -nic user,model=virtio-net-pci \
    -serial "file:$log" -drive "file=$image,format=$format,if=virtio,snapshot=on" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true; wait $qemu 2>/dev/null || true' EXIT
result=timeout
while [ "$(echo "$(date +%s.%N) - $start < $timeout" | bc)" = 1 ]; do
    if ! kill -0 $qemu 2>/dev/null; then result=exited; break; fi
    # Both: a login prompt (getty) and multi-user.target (which may come later, after
    # units that wait for the network).
    if grep -aq "login: " "$log" 2>/dev/null && grep -aq "Reached target.*multi-user.target" "$log"; then result=login; break; fi
    sleep 1
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
if [ "$result" != login ]; then
    echo "boot-vm: no login prompt ($result after ${elapsed%.*} s); last console lines:" >&2
    tail -n 15 "$log" | tr -d '\r' | sed 's/\x1b\[[0-9;]*m//g' >&2
    exit 1
fi
if ! grep -aq "Reached target.*multi-user.target" "$log"; then
    echo "boot-vm: login prompt, but multi-user.target was never reached" >&2
    exit 1
fi
if grep -a "FAILED" "$log" | sed 's/\x1b\[[0-9;]*m//g' | grep .; then
    echo "boot-vm: units failed during boot (above)" >&2
    exit 1
fi
printf 'boot-seconds %.1f\n' "$elapsed"
