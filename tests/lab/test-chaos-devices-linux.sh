#!/bin/sh
# Stock Linux guests with a vif and a disk, and no xenstored at all
# (issue 11): Debian's kernel and the lab's busybox initramfs, PV and PVH,
# each served by its supervisor -- a private XenStore on its own ring, the
# user-space network and block back ends.  The interface answers ping and
# wget from dom0; what the guest wrote and synced on its disk is in the
# image after it powered off; `chaos shutdown -w` ends it cleanly through
# control/shutdown.  Bad input (missing bridge, missing image, a MAC
# another guest uses on the bridge, a guest flooding its store) leaves
# nothing behind, and other guests unaffected.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
# (Named to run before the tests that start xl's xenstored: it stays up.)
xenstored_running && fail "this test starts without xenstored"

bridge_up chaoslx0 10.1.0.1/24
log_of() { echo "/var/log/chaos/console/$1.log"; }

# linux NAME TYPE IP [KEY=VALUE...]: a Linux guest with a vif on chaoslx0
# serving HTTP at IP, and a disk /tmp/NAME.img whose first sector says
# CHAOS-DISK-IN-NAME.
linux() {
    name=$1 type=$2 ip=$3
    shift 3
    dd if=/dev/zero of="/tmp/$name.img" bs=1048576 count=4 2>/dev/null
    printf 'CHAOS-DISK-IN-%s' "$name" | dd of="/tmp/$name.img" conv=notrunc 2>/dev/null
    cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$type"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.http=$ip/24 lab.disk"
memory = 128
tsc_mode = "native"
vif = [ 'bridge=chaoslx0' ]
disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/$name.img' ]
on_poweroff = "preserve"
on_crash = "preserve"
CFG
    rm -f "$(log_of "$name")"
    out=$(chaos create "/tmp/$name.cfg" "$@" 2>&1) || fail "chaos create $name: $out"
    echo "$out"
}

# check NAME IP: the guest is up on the network and its disk.
check() {
    log=$(log_of "$1")
    wait_for 300 "grep -q CHAOS-LAB-GUEST-HTTP $log" ||
        fail "$1: the network did not come up; console: $(tail -n 15 "$log" | tr -d '\r');
monitor: $(tail -n 5 "/var/log/chaos/console/$1.monitor.log" 2>/dev/null);
$(chaos list); Xen: $(xl dmesg 2>/dev/null | tail -n 5)"
    ping -c 1 -W 5 "$2" >/dev/null || fail "$1: no answer to ping $2"
    echo "ok: $1 answers ping at $2"
    page=""
    for _ in 1 2 3 4 5; do
        page=$(timeout 5 wget -q -O - "http://$2/" 2>&1) && break
        sleep 1
    done
    echo "$page" | grep -q "linux guest" || fail "$1: GET http://$2/ returned '$page'"
    echo "ok: $1 answers wget: $page"
    wait_for 60 "grep -q CHAOS-LAB-DISK-SYNCED $log" ||
        fail "$1: the disk was not written: $(grep -a -e DISK -e xvda "$log" | tr -d '\r')"
    grep -a -q "CHAOS-LAB-DISK-IN read=CHAOS-DISK-IN-$1" "$log" ||
        fail "$1: read the wrong first sector: $(grep -a DISK-IN "$log" | tr -d '\r')"
    echo "ok: $1 read its disk's first sector and wrote one, synced"
}

# done NAME: chaos shutdown -w powers it off cleanly; its write is in the
# image.
finish() {
    id=$(dom_field_by_name "$1")
    out=$(chaos shutdown -w --timeout 120 "$1" 2>&1) || fail "$1: chaos shutdown -w: $out"
    reason=$(dom_field "$id" shutdown_reason)
    [ "$reason" = poweroff ] || fail "$1 stopped with reason '$reason'"
    grep -a -q CHAOS-LAB-DISK-OUT "/tmp/$1.img" ||
        fail "$1: what it wrote is not in /tmp/$1.img"
    echo "ok: $1: chaos shutdown -w, reason poweroff; its write is in the image"
    chaos destroy "$1" || fail "chaos destroy $1"
}

t0=$(now_ms)
linux lx-pv pv 10.1.0.2
linux lx-pvh pvh 10.1.0.3
check lx-pv 10.1.0.2
pv_id=$(dom_field_by_name lx-pv)
# The private store answers dom0's tools on its socket as xenstored would.
if command -v xenstore-ls >/dev/null; then
    tree=$(XENSTORED_PATH=/run/chaos/store/$pv_id.sock xenstore-ls "/local/domain/$pv_id/device/vif/0" 2>&1) ||
        fail "xenstore-ls on the private store: $tree"
    echo "$tree" | grep -q "state = \"4\"" || fail "vif 0 is not connected: $tree"
    echo "ok: xenstore-ls on /run/chaos/store/$pv_id.sock: vif 0 connected"
fi
check lx-pvh 10.1.0.3
echo "both guests up in $(( $(now_ms) - t0 )) ms"
xenstored_running && fail "something started xenstored"
finish lx-pv
finish lx-pvh
[ "$(links)" = "$LINKS" ] || fail "interfaces left: $(links)"
expect_nothing_left
echo "ok: nothing left behind"

# Bad input: a clear error each, nothing left.
expect_error "missing bridge" "nobr0" /tmp/lx-pv.cfg name=bad "vif=['bridge=nobr0']"
expect_error "missing image" "/nonexistent.img" /tmp/lx-pv.cfg name=bad \
    "disk=['format=raw, vdev=xvda, access=rw, target=/nonexistent.img']"
S_DOMS=$SNAP_DOMS S_FREE=$SNAP_FREE S_LINKS=$LINKS
out=$(chaos create --paused /tmp/lx-pv.cfg name=mac-a "vif=['mac=00:16:3e:11:22:33,bridge=chaoslx0']" 2>&1) ||
    fail "chaos create mac-a: $out"
snapshot
LINKS=$(links)
expect_error "duplicate MAC" "00:16:3e:11:22:33" /tmp/lx-pv.cfg name=bad \
    "vif=['mac=00:16:3e:11:22:33,bridge=chaoslx0']"
chaos destroy mac-a || fail "chaos destroy mac-a"
SNAP_DOMS=$S_DOMS SNAP_FREE=$S_FREE LINKS=$S_LINKS
expect_nothing_left

# A guest that floods its store (3000 nodes, 300 watches: past the limits
# of 2048 nodes and 128 watches) gets refusals, not a crashed supervisor;
# another guest on the bridge keeps answering; the flooder's store still
# answers it and dom0 (chaos shutdown -w); nothing is left.
linux lx-ok pv 10.1.0.4
check lx-ok 10.1.0.4
cat >/tmp/lx-flood.cfg <<CFG
name = "lx-flood"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.flood=3000,300 lab.wait"
memory = 128
on_poweroff = "preserve"
CFG
flog=$(log_of lx-flood)
rm -f "$flog"
out=$(chaos create /tmp/lx-flood.cfg 2>&1) || fail "chaos create lx-flood: $out"
wait_for 300 "grep -q XS-FLOOD $flog" ||
    fail "the flood did not finish: $(tail -n 10 "$flog" | tr -d '\r')"
line=$(grep -a XS-FLOOD "$flog" | tr -d '\r')
echo "$line"
echo "$line" | grep -q "read=lx-flood" || fail "the flooder's store stopped answering: $line"
echo "$line" | grep -q "nodes=[0-9]*/[1-9]" || fail "no node was refused: $line"
echo "$line" | grep -q "watches=[0-9]*/[1-9]" || fail "no watch was refused: $line"
ping -c 1 -W 5 10.1.0.4 >/dev/null || fail "lx-ok stopped answering during the flood"
echo "ok: the flood was refused at the limits; lx-ok still answers"
chaos shutdown -w --timeout 120 lx-flood || fail "chaos shutdown -w lx-flood"
echo "ok: the flooder still takes chaos shutdown"
chaos destroy lx-flood || fail "chaos destroy lx-flood"
finish lx-ok
[ "$(links)" = "$LINKS" ] || fail "interfaces left: $(links)"
expect_nothing_left
echo "nothing left behind"
