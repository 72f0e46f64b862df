#!/bin/sh
# chaos save and chaos restore of stock Linux guests (docs/snapshot.md,
# "Linux guests"): Debian's kernel and the lab's busybox initramfs, PV and
# PVH side by side, each with a vif and a disk, served by its supervisor
# (a private XenStore, the user-space back ends).  Each answers ping and
# wget from dom0 and ticks on its console, reading its disk each time:
# - save -c: it runs on in the same domain, still answering and ticking;
# - save, then restore: the domain goes; the restored guest (a new
#   domain, a new store tree, its front ends connected again) answers
#   again, ticks on in the same console log and still reads its disk;
# - the restored guest saves again, and restores under another name with
#   another MAC (KEY=VALUE), answering with it;
# - bad cases (a MAC in use, an unwritable image path, a guest that does
#   not take the request within 10 s: withdrawn) are clear errors and
#   leave nothing behind; the guests run on.
# The guests boot concurrently (TCG is slow); the test prints its times.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
IMG=/lab/bin/lab-snap-image
DIR=/tmp/chaos-save-linux
rm -rf $DIR
mkdir -p $DIR

bridge_up chaossl0 10.3.0.1/24
T0=$(now_ms)
log_of() { echo "/var/log/chaos/console/$1.log"; }
# last_tick NAME: the number of NAME's last CHAOS-LAB-TICK line.
last_tick() { tr -d '\r' <"$(log_of "$1")" | sed -n 's/^CHAOS-LAB-TICK \([0-9]*\).*/\1/p' | tail -n 1; }
# ticks_past NAME N SECONDS: NAME printed a tick above N, reading its disk.
ticks_past() {
    wait_for "$3" "[ \"\$(last_tick $1)\" -gt $2 ] 2>/dev/null" || return 1
    tr -d '\r' <"$(log_of "$1")" | grep CHAOS-LAB-TICK | tail -n 1 |
        grep -q "disk=CHAOS-DISK-IN-$1" || return 1
}

# linux NAME TYPE IP: a Linux guest with a vif on chaossl0 serving HTTP at
# IP, a disk /tmp/NAME.img whose first sector says CHAOS-DISK-IN-NAME, and
# a tick every 2 s.
linux() {
    name=$1 type=$2 ip=$3
    dd if=/dev/zero of="$DIR/$name.img" bs=1048576 count=4 2>/dev/null
    printf 'CHAOS-DISK-IN-%s' "$name" | dd of="$DIR/$name.img" conv=notrunc 2>/dev/null
    cat >"$DIR/$name.cfg" <<CFG
name = "$name"
type = "$type"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.http=$ip/24 lab.disk lab.tick=2"
memory = 128
tsc_mode = "native"
vif = [ 'bridge=chaossl0' ]
disk = [ 'format=raw, vdev=xvda, access=rw, target=$DIR/$name.img' ]
on_poweroff = "preserve"
on_crash = "preserve"
CFG
    rm -f "$(log_of "$name")"
    out=$(chaos create "$DIR/$name.cfg" 2>&1) || fail "chaos create $name: $out"
    echo "$out"
}

# answers NAME IP WHAT: ping and wget at IP, and NAME ticks on.
answers() {
    ip neigh flush dev chaossl0 >/dev/null 2>&1
    wait_for 120 "ping -c 1 -W 2 $2 >/dev/null" ||
        fail "$1 ($3): no answer to ping $2; console: $(tail -n 15 "$(log_of "$1")" | tr -d '\r');
monitor: $(tail -n 5 "/var/log/chaos/console/$1.monitor.log" 2>/dev/null); $(chaos list)"
    page=""
    for _ in 1 2 3 4 5; do
        page=$(timeout 5 wget -q -O - "http://$2/" 2>&1) && break
        sleep 1
    done
    echo "$page" | grep -q "linux guest" || fail "$1 ($3): GET http://$2/ returned '$page'"
    n=$(last_tick "$1")
    ticks_past "$1" "${n:-0}" 60 ||
        fail "$1 ($3): no tick past ${n:-0} reading its disk: $(tail -n 5 "$(log_of "$1")" | tr -d '\r')"
    echo "ok: $1 ($3): answers ping and wget at $2, ticks on reading its disk (tick $(last_tick "$1"))"
}

# A failed save or restore: an error saying PATTERN, nothing left.
refused() {
    label=$1 pattern=$2
    shift 2
    doms=$(domain_count) links_now=$(links)
    out=$("$@" 2>&1) && fail "$label: accepted: $out"
    echo "$out" | grep -q -- "$pattern" || fail "$label: message lacks '$pattern': $out"
    wait_for 10 "[ \"\$(domain_count)\" = $doms ]" || fail "$label: domains left: $(chaos list)"
    [ "$(links)" = "$links_now" ] || fail "$label: interfaces left: $(links)"
    ls $DIR/*.chaos-tmp >/dev/null 2>&1 && fail "$label: temporary image left: $(ls $DIR)"
    echo "ok: $label: $out"
}

linux sl-pv pv 10.3.0.2
linux sl-pvh pvh 10.3.0.3
wait_for 300 "grep -q CHAOS-LAB-TICK $(log_of sl-pv) && grep -q CHAOS-LAB-TICK $(log_of sl-pvh)" ||
    fail "the guests did not come up: $(tail -n 5 "$(log_of sl-pv)" "$(log_of sl-pvh)" | tr -d '\r')"
answers sl-pv 10.3.0.2 booted
answers sl-pvh 10.3.0.3 booted
echo "both guests up in $(($(now_ms) - T0)) ms"

# save -c: each runs on in the same domain.
for g in sl-pv:10.3.0.2 sl-pvh:10.3.0.3; do
    name=${g%%:*} ip=${g#*:}
    id=$(dom_field_by_name "$name")
    out=$(chaos save -c "$name" "$DIR/$name-c.img" 2>&1) || fail "$name: save -c: $out"
    echo "$out"
    [ "$(dom_field_by_name "$name")" = "$id" ] || fail "$name: not domain $id after save -c"
    answers "$name" "$ip" "after save -c"
done
# The checkpoint cannot be restored beside its running original with its
# MAC: refused, nothing left; the original answers on.
refused "a MAC in use" "already used on bridge" chaos restore $DIR/sl-pv-c.img name=sl-copy
refused "an unwritable path" "cannot create" chaos save sl-pv /nonexistent/x.img
# A guest that does not take the request in time (paused here): after
# 10 s it is withdrawn in a store transaction; unpaused, the guest reads
# control/shutdown empty, ignores it and runs on.
chaos pause sl-pv || fail "pause sl-pv"
t=$(now_ms)
refused "an untaken request" "withdrawn" chaos save sl-pv $DIR/untaken.img
echo "    (refused after $(($(now_ms) - t)) ms)"
[ -e $DIR/untaken.img ] && fail "an untaken request: image left"
chaos unpause sl-pv || fail "unpause sl-pv"
answers sl-pv 10.3.0.2 "after the refusals"
[ "$(dom_field "$(dom_field_by_name sl-pv)" state)" != shutdown ] || fail "sl-pv suspended after all"
$IMG show $DIR/sl-pvh-c.img
rm -f $DIR/*-c.img

# save, restore: a new domain, the same guest, answering again.
for g in sl-pv:10.3.0.2 sl-pvh:10.3.0.3; do
    name=${g%%:*} ip=${g#*:}
    id=$(dom_field_by_name "$name")
    out=$(chaos save "$name" "$DIR/$name.snap" 2>&1) || fail "$name: save: $out"
    echo "$out ($(du -m "$DIR/$name.snap" | cut -f1) MiB)"
    wait_for 10 "[ -z \"\$(dom_field $id state)\" ]" || fail "$name: domain $id still there after save"
    saved=$(last_tick "$name")
    out=$(chaos restore "$DIR/$name.snap" 2>&1) || fail "$name: restore: $out"
    echo "$out"
    # dom0's /tmp is RAM: one 130 MiB image at a time.
    rm -f "$DIR/$name.snap"
    t=$(now_ms)
    rid=$(domid_of "$out")
    wait_for 120 "ping -c 1 -W 1 $ip >/dev/null" || fail "$name: no answer after the restore"
    echo "    ($name answers ping $(($(now_ms) - t)) ms after the restore)"
    answers "$name" "$ip" "restored as domain $rid"
    # The same log goes on from the saved tick (a PV console may repeat
    # the last lines once: docs/snapshot.md, "Known rough edges").
    next=$(tr -d '\r' <"$(log_of "$name")" | sed -n 's/^CHAOS-LAB-TICK \([0-9]*\).*/\1/p' |
        awk -v s="$saved" '$1 > s { print; exit }')
    [ "$next" = $((saved + 1)) ] || fail "$name: after tick $saved the restored guest printed $next"
    echo "ok: $name: its console log goes on: tick $saved, then $next after the restore"
done

# A restored guest saves again, and restores under another name with
# another MAC; it answers with the new MAC.
name=sl-pvh
out=$(chaos save $name $DIR/again.snap 2>&1) || fail "save of the restored guest: $out"
echo "$out"
out=$(chaos restore $DIR/again.snap name=sl-new "vif=['mac=00:16:3e:5a:5a:01,bridge=chaossl0']" 2>&1) ||
    fail "restore as sl-new: $out"
echo "$out"
rid=$(domid_of "$out")
grep -q "00:16:3e:5a:5a:01" "/run/chaos/domains/$rid.dev" || fail "sl-new: not the new MAC: $(cat "/run/chaos/domains/$rid.dev")"
# Its log is sl-new's now, its disk still sl-pvh's.
wait_for 60 "grep -q CHAOS-LAB-TICK $(log_of sl-new)" || fail "sl-new does not tick: $(cat "$(log_of sl-new)")"
ip neigh flush dev chaossl0 >/dev/null 2>&1
wait_for 120 "ping -c 1 -W 2 10.3.0.3 >/dev/null" || fail "sl-new: no answer to ping"
mac=$(ip neigh show 10.3.0.3 dev chaossl0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ "$mac" = "00:16:3e:5a:5a:01" ] || fail "sl-new answers from MAC '$mac'"
echo "ok: sl-pvh restored again as sl-new (domain $rid), answering from MAC $mac"
rm -f $DIR/again.snap

chaos destroy sl-new || fail "destroy sl-new"
chaos destroy sl-pv || fail "destroy sl-pv"
wait_for 20 "[ \"\$(links)\" = \"$LINKS\" ]" || fail "interfaces left: $(links)"
expect_nothing_left
rm -rf $DIR
echo "nothing left behind; the test took $(($(now_ms) - T0)) ms"
