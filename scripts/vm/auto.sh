#!/bin/sh
# The vm tier's automatic-update scenario inside the guest (scripts/test-vm.sh auto puts it into
# the image's /etc with the commit it expects, AOT_V2): the timer is enabled by the package,
# the service runs in check mode against the host's loopback remote through the activated
# daemon, and status shows the cached update. Result lines start with "AOT-VMTEST:".
set -u
v2=AOT_V2
say() { echo "AOT-VMTEST: $*" > /dev/console; }
fail() { say "FAIL $*"; apt-ostree status > /dev/console 2>&1; systemctl poweroff; exit 1; }
[ "$(systemctl is-enabled apt-ostreed-automatic.timer)" = enabled ] || fail "apt-ostreed-automatic.timer is not enabled"
systemctl is-active -q apt-ostreed-automatic.timer || fail "apt-ostreed-automatic.timer is not active"
say "timer: $(systemctl show -P NextElapseUSecRealtime apt-ostreed-automatic.timer | grep . || echo enabled, waiting)"
systemctl start apt-ostreed-automatic.service || fail "apt-ostreed-automatic.service failed: $(journalctl -b -u apt-ostreed-automatic.service -o cat | tail -n 3 | tr '\n' ' ')"
say "service: $(journalctl -b -u apt-ostreed-automatic.service -o cat | tail -n 2 | tr '\n' ' ')"
text=$(apt-ostree status) || fail "apt-ostree status"
echo "$text" | grep -E "AutomaticUpdates|AvailableUpdate|Version: 12.99|Commit|Diff" | while read -r l; do say "status: $l"; done
echo "$text" | grep -q "AutomaticUpdates: check; apt-ostreed-automatic.timer: last run" || fail "status does not show the policy and the last run"
echo "$text" | grep -q "AvailableUpdate:" || fail "status shows no available update"
json=$(apt-ostree status --json | tr -d ' \n') || fail "apt-ostree status --json"
echo "$json" | grep -o '"cached-update":{.*' | grep -q "\"checksum\":\"$v2\"" || fail "status --json has no cached-update with $v2"
echo "$json" | grep -q '"policy":"check"' || fail "status --json does not give the policy check"
say "status: AvailableUpdate and cached-update $v2, policy check"
[ "$(systemctl show -P ActiveEnterTimestampMonotonic apt-ostreed.service)" != 0 ] \
    || fail "apt-ostreed.service was never started: the commands did not go through the daemon"
say "daemon: apt-ostreed.service was activated on the system bus"
say "done"
systemctl poweroff
