#!/bin/sh
# XenStore only where a guest needs it:
# - a guest that needs XenStore, with no xenstored running: a clear error,
#   nothing left behind;
# - a Linux guest (XenStore by default) with xenstored running: introduced
#   with its entries (xl sees its name), and `chaos shutdown -w` reaches it
#   through control/shutdown: it powers off cleanly.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
xenstored_running && fail "this test starts without xenstored"
snapshot
UK=/usr/local/libexec/chaos/unikernel
out=$(chaos create "$UK/hello-pv.cfg" kernel=$UK/hello xenstore=yes 2>&1) &&
    fail "created a XenStore guest without xenstored: $out"
echo "$out" | grep -q "needs XenStore, but no xenstored is running" ||
    fail "unclear error: $out"
echo "ok: no xenstored: $out"
expect_nothing_left

/lab/bin/xl-up || fail "xl-up could not start xenstored"
snapshot
cat >/tmp/xs-linux.cfg <<CFG
name = "chaos-xs-linux"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.wait"
memory = 128
on_poweroff = "preserve"
CFG
chaos create /tmp/xs-linux.cfg || fail "chaos create of a XenStore guest failed"
xl list | grep -q "^chaos-xs-linux " || fail "xl does not see the guest's name: $(xl list)"
echo "ok: xl list shows the guest chaos introduced to xenstored"
id=$(xl domid chaos-xs-linux)
# Give Linux time to boot and watch control/shutdown.
wait_for 120 "xenstore_feature $id" ||
    fail "the guest never announced control/feature-poweroff"
chaos shutdown -w --timeout 120 chaos-xs-linux || fail "chaos shutdown -w failed"
reason=$(dom_field "$id" shutdown_reason)
[ "$reason" = poweroff ] || fail "guest stopped with reason '$reason'"
echo "ok: chaos shutdown -w: the guest powered off cleanly"
chaos destroy chaos-xs-linux || fail "destroy failed"
expect_nothing_left
echo "nothing left behind"
