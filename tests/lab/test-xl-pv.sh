#!/bin/sh
# Baseline: Debian's own xl boots a Linux PV guest (Debian's kernel with a
# tiny busybox initramfs) and the guest's marker appears in its console log.
# Every later comparison of chaos is measured against this path.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
/lab/bin/xl-up || fail "xl-up could not start xenstored/xenconsoled"

name=lab-xl-pv
cat >/tmp/$name.cfg <<CFG
name = "$name"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
on_poweroff = "destroy"
CFG

before=$(domain_count)
t0=$(now_ms)
xl create /tmp/$name.cfg || fail "xl create failed"
echo "xl create returned after $(( $(now_ms) - t0 )) ms"
log=/var/log/xen/console/guest-$name.log
wait_for 180 "grep -q CHAOS-LAB-GUEST-OK $log" ||
    fail "no marker in $log after 180 s: $(tail -n 5 $log 2>/dev/null)"
echo "marker seen after $(( $(now_ms) - t0 )) ms: $(grep -a CHAOS-LAB-GUEST-OK $log | tr -d '\r')"
wait_for 60 "! xl domid $name >/dev/null 2>&1" ||
    fail "guest did not go away after powering off: $(xl list); $(cat /var/log/xen/xl-$name.log 2>&1)"
# Xen may hold the domain a moment longer, dying, after xl forgot its name.
wait_for 30 "[ \"\$(domain_count)\" = $before ]" ||
    fail "domain count changed: $before -> $(domain_count)"
echo "guest powered off and was destroyed; domain list back to $before"
