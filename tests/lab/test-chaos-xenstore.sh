#!/bin/sh
# XenStore only where a guest needs it, and then a private one (issue 11):
# - a guest given xenstore = "yes" that never reads it (the unikernel)
#   runs all the same;
# - with xenstored running (xl's), chaos's Linux guest still uses its
#   private store: xenstored knows nothing of it, Debian's xenstore-read
#   reads the private one through its socket (XENSTORED_PATH), and
#   `chaos shutdown -w` reaches it through control/shutdown: it powers off
#   cleanly.
# (With no xenstored at all: test-chaos-devices-linux, which runs before
# the tests that start xenstored; it stays up for the rest of a boot.)
# shellcheck source=lib.sh
. /lab/tests/lib.sh
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
log=/var/log/chaos/console/chaos-xs-linux.log

# linux_shutdown: creates the guest, waits for its init, shuts it down.
linux_shutdown() {
    rm -f "$log"
    chaos create /tmp/xs-linux.cfg || fail "chaos create of a Linux guest failed"
    id=$(dom_field_by_name chaos-xs-linux)
    [ -S "/run/chaos/store/$id.sock" ] || fail "no store socket for domain $id"
    wait_for 180 "grep -q CHAOS-LAB-GUEST-WAITING $log" ||
        fail "the guest did not reach its init: $(tail -n 10 "$log")"
    # Linux reads control/shutdown when it starts watching it, so the
    # request may come before or after.
    chaos shutdown -w --timeout 120 chaos-xs-linux || fail "chaos shutdown -w failed"
    reason=$(dom_field "$id" shutdown_reason)
    [ "$reason" = poweroff ] || fail "guest stopped with reason '$reason'"
}

UK=/usr/local/libexec/chaos/unikernel
out=$(chaos create "$UK/hello-pv.cfg" kernel=$UK/hello xenstore=yes \
    on_poweroff=preserve 2>&1) || fail "xenstore=yes: $out"
hid=$(domid_of "$out")
reason=$(wait_shutdown "$hid" 60) || fail "hello with a store did not finish"
[ "$reason" = poweroff ] || fail "hello with a store stopped with '$reason'"
chaos destroy "$hid" || fail "destroy hello"
echo "ok: xenstore=yes on a guest that does not use it: it ran and powered off"
expect_nothing_left

/lab/bin/xl-up || fail "xl-up could not start xenstored"
snapshot
rm -f "$log"
chaos create /tmp/xs-linux.cfg || fail "chaos create with xenstored running failed"
id=$(dom_field_by_name chaos-xs-linux)
xenstore-read "/local/domain/$id/name" >/dev/null 2>&1 &&
    fail "the guest is in xenstored: $(xenstore-ls "/local/domain/$id" 2>&1 | head -n 5)"
name=$(XENSTORED_PATH=/run/chaos/store/$id.sock xenstore-read "/local/domain/$id/name" 2>&1)
[ "$name" = chaos-xs-linux ] || fail "the private store says its name is '$name'"
echo "ok: xenstored running: the guest is not in it; its private store names it"
chaos destroy chaos-xs-linux || fail "destroy failed"
linux_shutdown
echo "ok: xenstored running: chaos shutdown -w through the private store"
chaos destroy chaos-xs-linux || fail "destroy failed"
expect_nothing_left
echo "nothing left behind"
