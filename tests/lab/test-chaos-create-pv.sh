#!/bin/sh
# chaos creates PV guests on real Xen, without xenstored running: Debian's
# Linux kernel with the lab's busybox initramfs, and the chaos unikernel.
# Evidence that each booted: its init powers it off, and Xen reports the
# shutdown reason "poweroff".  Then destroy leaves nothing behind.
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
CFG
out=$(chaos create --timings /tmp/linux-pv.cfg) || fail "chaos create: $out"
echo "$out"
id=$(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
     grep '"name":"chaos-linux-pv"' | sed -n 's/.*"domid":\([0-9]*\).*/\1/p')
[ -n "$id" ] || fail "chaos list does not show chaos-linux-pv: $(chaos list)"
reason=$(wait_shutdown "$id" 180) || fail "Linux guest $id did not shut down in 180 s: $(chaos list)"
[ "$reason" = poweroff ] || fail "Linux guest shut down with reason '$reason'"
echo "Linux PV guest $id booted to /init and powered off"
chaos destroy chaos-linux-pv || fail "chaos destroy by name failed"

cd /usr/local/libexec/chaos/unikernel || fail "unikernel images not installed"
out=$(chaos create --timings hello-pv.cfg name=uk-hello) || fail "chaos create hello: $out"
echo "$out"
id=$(echo "$out" | sed -n 's/.*(id \([0-9]*\)).*/\1/p')
reason=$(wait_shutdown "$id" 60) || fail "hello did not shut down in 60 s: $(chaos list)"
[ "$reason" = poweroff ] || fail "hello shut down with reason '$reason'"
echo "unikernel hello (PV) ran and powered off"
chaos destroy "$id" || fail "chaos destroy by id failed"

expect_nothing_left
echo "nothing left behind"
