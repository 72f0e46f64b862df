#!/bin/sh
# tinyx build's images boot on real Xen.  The images (made on the host by
# `make lab-tinyx-images`: Debian's sqlite3 computing `select 6*7`, Debian's
# kernel) boot as PV and PVH guests through Debian's xl create and through
# chaos create.  Evidence: the console log (xenconsoled's for xl, chaos's
# monitor's for chaos) shows sqlite3's answer (42) and /init's
# "tinyx: exit status 0", and the guest goes away once it powered off.
# Then an image built with --module xen-netfront (a module in Debian's
# kernel) boots through chaos create and its program, cat /proc/modules,
# shows the module loaded by /init.
# shellcheck source=lib.sh
. /lab/tests/lib.sh

# chaos-lab packs BUILD/tinyx/lab-images as /lab/tinyx; by hand:
#   chaos-lab --file BUILD/tinyx/lab-images:tinyx run ...
dir=/lab/tinyx
[ -d $dir ] || dir=/lab/share/files/tinyx
[ -f $dir/sqlite3-pv/guest.cfg ] ||
    fail "no tinyx lab images in /lab/tinyx (make lab-tinyx-images on the host)"

# The config of one image, with its paths pointing where the image is.
# PVH guests get tsc_mode = "native" here, as in test-chaos-create-pvh:
# with the default, QEMU's emulation of AMD-V in this lab triple-faults
# Linux PVH guests now and then, whichever toolstack built them (a CI run
# saw xl's tinyx PVH guest do it; docs/pvh.md, "Known problems").
config() {
    sed "s|/lab/tinyx/|$dir/|" "$dir/$1/guest.cfg" >"/tmp/tinyx-$1.cfg"
    case $1 in
        *-pvh) echo 'tsc_mode = "native"' >>"/tmp/tinyx-$1.cfg" ;;
    esac
    echo "/tmp/tinyx-$1.cfg"
}

# check_console LOG WHO: the application's output and its exit status.
check_console() {
    grep -q '^42' "$1" || fail "$2: no '42' from sqlite3 in the console: $(tail -n 20 "$1")"
    grep -q 'tinyx: exit status 0' "$1" ||
        fail "$2: no 'tinyx: exit status 0' in the console: $(tail -n 20 "$1")"
    echo "$2: console shows: $(grep -a -m1 '^42' "$1" | tr -d '\r'), $(grep -a -m1 'tinyx: exit' "$1" | tr -d '\r')"
}

# Xen's word that domain $id triple-faulted (docs/lab.md, "A known defect
# of the emulated SVM"): tsc_mode = "native" makes it rarer, not gone (CI
# runs on 2026-12-05 met it with chaos's guest and with xl's, RIP in Xen's
# svm_asm_do_resume).  A PVH boot that ends so, by either toolstack, is
# booted again, up to 3 times in all, and said so.
triple_faulted() { xl dmesg 2>/dev/null | grep -aq "d${id}v[0-9]* Triple fault"; }
# known_fault WHO T ATTEMPT: fails unless T is pvh and ATTEMPT < 3; else
# says so (the guest is booted again).
known_fault() {
    if [ "$2" != pvh ] || [ "$3" -ge 3 ]; then
        fail "$1 $2: domain $id triple-faulted, attempt $3: $(xl dmesg | grep -a "d${id}v" | head -n 1)"
    fi
    echo "KNOWN PROBLEM (the emulator's, docs/lab.md): $1's attempt $3" \
         "triple-faulted; Xen: $(xl dmesg | grep -a "d${id}v" | head -n 1); booting it again"
}

# ------------------------------------------------------------ xl create
/lab/bin/xl-up || fail "xl-up could not start xenstored/xenconsoled"
snapshot
for t in pv pvh; do
    name=tinyx-sqlite3-$t
    log=/var/log/xen/console/guest-$name.log
    attempt=1
    while :; do
        rm -f "$log"
        t0=$(now_ms)
        xl create "$(config sqlite3-$t)" || fail "xl create ($t) failed"
        id=$(xl domid $name 2>/dev/null)
        wait_for 300 "grep -q 'tinyx: exit status' $log 2>/dev/null || triple_faulted" ||
            fail "xl $t: no exit status in $log after 300 s: $(tail -n 20 $log 2>/dev/null)"
        grep -q 'tinyx: exit status' "$log" 2>/dev/null && break
        known_fault xl $t $attempt
        xl destroy $name >/dev/null 2>&1
        wait_for 60 "! xl domid $name >/dev/null 2>&1" || fail "xl $t: the triple-faulted guest stayed: $(xl list)"
        attempt=$((attempt + 1))
    done
    echo "xl $t: application done $(( $(now_ms) - t0 )) ms after xl create began"
    check_console "$log" "xl $t"
    wait_for 60 "! xl domid $name >/dev/null 2>&1" ||
        fail "xl $t: guest did not go away after powering off: $(xl list)"
done
expect_nothing_left

# ------------------------------------------------------------ chaos create
# (xenstored is running now: Linux guests get their XenStore entries.)
# chaos's monitor logs the console to /var/log/chaos/console/NAME.log and
# carries out on_poweroff = "destroy" (docs/console.md).
in_chaos_list() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep -q "\"name\":\"$1\""
}
for t in pv pvh; do
    name=tinyx-sqlite3-$t
    log=/var/log/chaos/console/$name.log
    attempt=1
    while :; do
        rm -f "$log"
        t0=$(now_ms)
        if ! out=$(chaos create --timings "$(config sqlite3-$t)" 2>&1); then
            if [ $t = pvh ] && echo "$out" | grep -qi 'pvh'; then
                echo "chaos $t: not available in this build: $out"
                out=""
                break
            fi
            fail "chaos create ($t): $out"
        fi
        echo "$out"
        id=$(domid_of "$out")
        [ -n "$id" ] || fail "chaos $t: no domain id in: $out"
        wait_for 300 "grep -q 'tinyx: exit status' $log 2>/dev/null || triple_faulted" ||
            fail "chaos $t: no exit status in $log after 300 s: $(tail -n 20 $log 2>/dev/null); $(chaos list)"
        grep -q 'tinyx: exit status' "$log" 2>/dev/null && break
        known_fault chaos $t $attempt
        wait_for 60 "! in_chaos_list $name" || fail "chaos $t: the triple-faulted guest stayed: $(chaos list)"
        attempt=$((attempt + 1))
    done
    [ -n "$out" ] || continue
    echo "chaos $t: application done $(( $(now_ms) - t0 )) ms after chaos create began"
    check_console "$log" "chaos $t"
    wait_for 60 "! in_chaos_list $name" ||
        fail "chaos $t: the guest was not destroyed after powering off: $(chaos list)"
done
expect_nothing_left

# ------------------------------------------------------------ --module
# /proc/modules names a module with '_' (xen_netfront) at the start of its
# line; /init's "cannot load module" message would name the file instead.
name=tinyx-modules-pv
log=/var/log/chaos/console/$name.log
[ -f $dir/modules-pv/guest.cfg ] ||
    fail "no modules-pv image in $dir (make lab-tinyx-images on the host)"
rm -f "$log"
t0=$(now_ms)
out=$(chaos create "$(config modules-pv)" 2>&1) || fail "chaos create (modules-pv): $out"
wait_for 300 "grep -q 'tinyx: exit status' $log 2>/dev/null" ||
    fail "modules: no exit status in $log after 300 s: $(tail -n 20 $log 2>/dev/null); $(chaos list)"
echo "modules: application done $(( $(now_ms) - t0 )) ms after chaos create began"
if grep -a -q 'tinyx: cannot load module' "$log"; then
    fail "modules: /init could not load a module: $(grep -a 'tinyx: cannot load' "$log")"
fi
grep -a -q '^xen_netfront ' "$log" ||
    fail "modules: no xen_netfront in /proc/modules: $(tail -n 20 "$log")"
grep -a -q 'tinyx: exit status 0' "$log" ||
    fail "modules: no 'tinyx: exit status 0' in the console: $(tail -n 20 "$log")"
echo "modules: console shows: $(grep -a -m1 '^xen_netfront ' "$log" | tr -d '\r'), $(grep -a -m1 'tinyx: exit' "$log" | tr -d '\r')"
wait_for 60 "! in_chaos_list $name" ||
    fail "modules: the guest was not destroyed after powering off: $(chaos list)"
expect_nothing_left
echo "tinyx images boot through xl and chaos; --module loads xen_netfront"
