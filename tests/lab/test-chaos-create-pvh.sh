#!/bin/sh
# chaos creates PVH guests on real Xen, without xenstored running: the
# chaos unikernel, then Debian's Linux kernel (a bzImage, decompressed by
# libxenguest) with the lab's busybox initramfs, on one vCPU and on two
# (Linux finds them in the ACPI tables chaos writes, docs/pvh.md; without
# those tables it would hang).
# Evidence that each booted: its console log (served by chaos) holds what
# it printed, and it powers itself off: Xen reports the reason "poweroff"
# (Linux, with no ACPI way to power off, halts all its vCPUs, which Xen
# takes as a poweroff; a hang or a panic would show as no shutdown or as
# "crash").  on_poweroff = "preserve" keeps each guest for inspection;
# then destroy leaves nothing behind.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
xenstored_running && fail "this test needs no xenstored running"
snapshot

cd /usr/local/libexec/chaos/unikernel || fail "unikernel images not installed"
out=$(chaos create --timings hello-pvh.cfg name=uk-hello-pvh on_poweroff=preserve) ||
    fail "chaos create hello-pvh: $out"
echo "$out"
id=$(domid_of "$out")
[ "$(dom_field "$id" type)" = pvh ] || fail "domain $id is not PVH: $(chaos list)"
reason=$(wait_shutdown "$id" 60) || fail "hello did not shut down in 60 s: $(chaos list)"
[ "$reason" = poweroff ] || fail "hello shut down with reason '$reason'"
log=/var/log/chaos/console/uk-hello-pvh.log
wait_for 10 "grep -q chaos-boot-mode=pvh $log" ||
    fail "hello's output is not in $log: $(cat $log)"
echo "unikernel hello (PVH) ran and powered off; it printed: $(tr -d '\r' <$log | tr '\n' ' ')"
chaos destroy "$id" || fail "chaos destroy by id failed"

# Debian's Linux as a PVH guest (under a busy TCG lab its boot can take
# minutes), without XenStore (Linux gets it by default; this shows it boots
# without).  Each domain is kept whatever happens, so a failure shows Xen's
# reason (the default on_reboot, restart, would boot it again).
#
# tsc_mode = "native": in this lab QEMU's TCG emulation of AMD-V for Xen
# sometimes corrupts an HVM guest's state right after an instruction Xen
# emulates, for guests built by Debian's xl as often as by chaos, and with
# the default mode Xen emulates every rdtsc here (3 triple faults in 7
# 2-vCPU boots; none in 7 with "native", same lab boot; docs/pvh.md,
# "Known problems").  A boot that Xen still ends with "Triple fault" (port
# I/O is emulated too) is booted again, up to 5 times in all, and said so.
# Any other end, or five triple faults in a row, fails the test (three in
# a row happened in CI on 2026-12-03).
# linux_pvh NAME VCPUS [may-hang]: creates it, waits for its end; sets $id,
# $log, $reason ("" if it had not ended in 600 s and may-hang was given).
linux_pvh() {
    cat >"/tmp/$1.cfg" <<CFG
name = "$1"
type = "pvh"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0"
memory = 128
vcpus = $2
xenstore = "no"
tsc_mode = "native"
on_poweroff = "preserve"
on_reboot = "preserve"
on_crash = "preserve"
CFG
    log=/var/log/chaos/console/$1.log
    attempt=1
    while :; do
        rm -f "$log"
        out=$(chaos create --timings "/tmp/$1.cfg") || fail "chaos create: $out"
        echo "$out"
        id=$(domid_of "$out")
        [ -n "$id" ] || fail "no domain id in: $out"
        reason=$(wait_shutdown "$id" 600) || [ -n "$3" ] ||
            fail "Linux PVH guest $id did not shut down in 600 s: $(chaos list)
its console log ends with: $(tail -n 15 "$log")
Xen: $(xen_says)"
        [ "$reason" = reboot ] && xen_says | grep -q "Triple fault" &&
            [ $attempt -lt 5 ] || return 0
        echo "KNOWN PROBLEM (the emulator's, docs/pvh.md): attempt $attempt" \
             "triple-faulted; Xen: $(xen_says | head -n 1); booting it again"
        chaos destroy "$id" || fail "chaos destroy $id failed"
        attempt=$((attempt + 1))
    done
}
# What Xen said about the guest (e.g. "d5v0 Triple fault").
xen_says() { xl dmesg 2>/dev/null | grep -a "d${id}v" | tail -n 3; }
printed() {
    grep -a -e 'ACPI: APIC' -e 'Total of' -e CHAOS-LAB-GUEST-OK "$1" |
        tr -d '\r' | sed 's/^\[[ 0-9.]*\] //' | tr '\n' ';'
}

# One vCPU: boots to /init, prints the marker and powers off.
linux_pvh chaos-linux-pvh 1
[ "$reason" = poweroff ] || fail "Linux PVH guest shut down with reason" \
    "'$reason'; its console log ends with: $(tail -n 15 "$log")
Xen: $(xen_says)"
wait_for 10 "grep -q CHAOS-LAB-GUEST-OK $log" ||
    fail "the guest's marker is not in its console log: $(tail -n 5 "$log")"
echo "Linux PVH guest $id booted to /init and powered off; it printed: $(printed "$log")"
chaos destroy chaos-linux-pvh || fail "chaos destroy by name failed"

# Two vCPUs: Linux must find both in chaos's MADT and start them (without
# those tables it would hang).  Asserted: both processors activated.  How
# the boot ends is reported, not asserted: besides the triple faults above,
# a 2-vCPU guest sometimes hangs in stop_machine in this lab, built by
# Debian's xl as well as by chaos (docs/pvh.md, "Known problems").
linux_pvh chaos-linux-pvh2 2 may-hang
grep -aq "ACPI: APIC 0x00000000FC" "$log" ||
    fail "Linux did not read chaos's MADT: $(grep -a ACPI "$log")"
grep -aq "smpboot: Total of 2 processors activated" "$log" ||
    fail "Linux did not start both vCPUs: $(grep -a smp "$log")"
echo "Linux PVH guest $id started both vCPUs; it printed: $(printed "$log")"
if [ "$reason" = poweroff ] && grep -q CHAOS-LAB-GUEST-OK "$log"; then
    echo "  and it booted to /init and powered off"
else
    echo "  KNOWN PROBLEM (the emulator's, docs/pvh.md): it ended with reason" \
         "'${reason:-none, still running after 600 s}' before /init; Xen: $(xen_says)"
fi
chaos destroy chaos-linux-pvh2 || fail "chaos destroy by name failed"

expect_nothing_left
echo "nothing left behind"
