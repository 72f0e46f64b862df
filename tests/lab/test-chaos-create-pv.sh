#!/bin/sh
# chaos creates PV guests on real Xen, without xenstored running: Debian's
# Linux kernel with the lab's busybox initramfs, and the chaos unikernel.
# Evidence that each booted: its console log (served by chaos) holds what
# it printed, its init powers it off and Xen reports the reason "poweroff"
# (on_poweroff = "preserve" keeps it for inspection).  A guest with the
# default on_poweroff = "destroy" is destroyed by its monitor.  Nothing is
# left behind.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
xenstored_running && fail "this test needs no xenstored running"
snapshot

cat >/tmp/linux-pv.cfg <<CFG
name = "chaos-linux-pv"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet"
memory = 128
# Linux gets XenStore by default; this guest shows it boots without.
xenstore = "no"
on_poweroff = "preserve"
CFG
out=$(chaos create --timings /tmp/linux-pv.cfg) || fail "chaos create: $out"
echo "$out"
id=$(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
     grep '"name":"chaos-linux-pv"' | sed -n 's/.*"domid":\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "chaos list does not show chaos-linux-pv: $(chaos list)"
reason=$(wait_shutdown "$id" 180) || fail "Linux guest $id did not shut down in 180 s: $(chaos list)"
[ "$reason" = poweroff ] || fail "Linux guest shut down with reason '$reason'"
grep -q CHAOS-LAB-GUEST-OK /var/log/chaos/console/chaos-linux-pv.log ||
    fail "the guest's marker is not in its console log: $(tail -n 5 /var/log/chaos/console/chaos-linux-pv.log)"
echo "Linux PV guest $id booted to /init, printed: $(grep -a CHAOS-LAB-GUEST-OK /var/log/chaos/console/chaos-linux-pv.log | tr -d '\r')"
chaos destroy chaos-linux-pv || fail "chaos destroy by name failed"

cd /usr/local/libexec/chaos/unikernel || fail "unikernel images not installed"
out=$(chaos create --timings hello-pv.cfg name=uk-hello on_poweroff=preserve) ||
    fail "chaos create hello: $out"
echo "$out"
id=$(domid_of "$out")
reason=$(wait_shutdown "$id" 60) || fail "hello did not shut down in 60 s: $(chaos list)"
[ "$reason" = poweroff ] || fail "hello shut down with reason '$reason'"
log=/var/log/chaos/console/uk-hello.log
wait_for 10 "grep -q chaos-boot-ns $log" || fail "hello's output is not in $log: $(cat $log)"
echo "unikernel hello (PV) ran and powered off; it printed: $(tr -d '\r' <$log | tr '\n' ' ')"
chaos destroy "$id" || fail "chaos destroy by id failed"

# The default on_poweroff ("destroy"): the guest's monitor destroys it.
out=$(chaos create hello-pv.cfg name=uk-hello-2) || fail "chaos create hello: $out"
id=$(domid_of "$out")
wait_for 60 "[ -z \"\$(dom_field $id state)\" ]" ||
    fail "hello ($id) was not destroyed after powering off: $(chaos list)"
echo "on_poweroff = destroy: the monitor destroyed hello after it powered off"

expect_nothing_left
echo "nothing left behind"
