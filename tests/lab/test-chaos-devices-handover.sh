#!/bin/sh
# A stock Linux guest (PV, a vif and a disk, no xenstored) served by
# chaosd keeps its private XenStore when chaosd is replaced (docs/store.md,
# "Handover"): chaosd killed (SIGKILL), then stopped (SIGTERM), and each
# time started again; the new chaosd loads the store's snapshot, connects
# the vif and the disk again and keeps the guest's watches.  After each
# restart the guest still answers ping, still writes to its disk (ticks
# after the restart read back what they wrote), and at the end
# `chaos shutdown -w` (Linux's watch on control/shutdown) powers it off
# cleanly.  (Named to run before test-chaos-events, which starts xl's
# xenstored for the tests after it.)
# shellcheck source=lib.sh
. /lab/tests/lib.sh
xenstored_running && fail "this test starts without xenstored"

bridge_up chaoshx0 10.3.0.1/24
D=/tmp/handover
rm -rf "$D"
mkdir -p "$D"
: >"$D/chaosd.conf"
LOG=$D/chaosd.log
fail_log() { echo "--- chaosd log:"; tail -n 30 "$LOG"; fail "$*"; }
start_chaosd() {
    chaosd --config "$D/chaosd.conf" >>"$LOG" 2>&1 &
    DPID=$!
    wait_for 30 "[ -S /run/chaos/chaosd.sock ]" || fail_log "chaosd did not start"
}

NAME=hx-pv IP=10.3.0.2
GLOG=/var/log/chaos/console/$NAME.log
IMG=/tmp/$NAME.img
dd if=/dev/zero of="$IMG" bs=1048576 count=4 2>/dev/null
printf 'CHAOS-DISK-IN-%s' "$NAME" | dd of="$IMG" conv=notrunc 2>/dev/null
cat >"$D/$NAME.cfg" <<CFG
name = "$NAME"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.http=$IP/24 lab.disk lab.tick=2 lab.tickw"
memory = 128
tsc_mode = "native"
vif = [ 'bridge=chaoshx0' ]
disk = [ 'format=raw, vdev=xvda, access=rw, target=$IMG' ]
on_poweroff = "preserve"
CFG
rm -f "$GLOG"

# last_tick: the number of the guest's last tick line.
last_tick() { tr -d '\r' <"$GLOG" | sed -n 's/^CHAOS-LAB-TICK \([0-9]*\).*/\1/p' | tail -n 1; }
# works_on WHEN: the guest answers ping, and a tick after now wrote to
# its disk and read it back.
works_on() {
    ping -c 1 -W 5 "$IP" >/dev/null || ping -c 1 -W 5 "$IP" >/dev/null ||
        fail_log "$1: $NAME does not answer ping; console: $(tail -n 5 "$GLOG" | tr -d '\r')"
    n=$(last_tick)
    wait_for 60 "[ \"\$(last_tick)\" -gt $((n + 1)) ] 2>/dev/null" ||
        fail_log "$1: $NAME stopped ticking: $(tail -n 5 "$GLOG" | tr -d '\r')"
    line=$(tr -d '\r' <"$GLOG" | grep '^CHAOS-LAB-TICK' | tail -n 1)
    t=$(echo "$line" | cut -d' ' -f2)
    echo "$line" | grep -q "disk=CHAOS-DISK-IN-$NAME wrote=CHAOS-LAB-W$t\$" ||
        fail_log "$1: the disk did not work: $line"
    echo "ok: $1: $NAME answers ping; tick $t wrote to its disk and read it back"
}

start_chaosd
out=$(chaos create --daemon "$D/$NAME.cfg" 2>&1) || fail_log "chaos create --daemon: $out"
echo "$out"
id=$(dom_field_by_name "$NAME")
wait_for 300 "grep -q CHAOS-LAB-GUEST-HTTP $GLOG" ||
    fail_log "the network did not come up: $(tail -n 15 "$GLOG" | tr -d '\r')"
wait_for 120 "grep -q CHAOS-LAB-TICK $GLOG" || fail_log "no tick: $(tail -n 5 "$GLOG" | tr -d '\r')"
works_on "before any restart"
[ -s "/run/chaos/domains/$id.xs" ] || fail_log "no store snapshot at /run/chaos/domains/$id.xs"
echo "ok: the store's snapshot: $(wc -c <"/run/chaos/domains/$id.xs") bytes"

kill -KILL "$DPID"
wait "$DPID"
start_chaosd
wait_for 30 "grep -q 'recovered: 1 running' $LOG" || fail_log "chaosd did not adopt $NAME"
grep -q "store snapshot" "$LOG" && fail_log "the snapshot was not taken over"
works_on "after SIGKILL and a new chaosd"

kill -TERM "$DPID"
wait "$DPID" || fail_log "chaosd exited with $? on SIGTERM"
start_chaosd
wait_for 30 "[ \$(grep -c 'recovered: 1 running' $LOG) = 2 ]" || fail_log "chaosd did not adopt $NAME again"
works_on "after SIGTERM and a new chaosd"

out=$(chaos shutdown -w --timeout 120 "$NAME" 2>&1) || fail_log "chaos shutdown -w: $out"
reason=$(dom_field "$id" shutdown_reason)
[ "$reason" = poweroff ] || fail_log "$NAME stopped with reason '$reason'"
echo "ok: chaos shutdown -w through the watch Linux set before both restarts: poweroff"
grep -a -q "CHAOS-LAB-W" "$IMG" || fail "the guest's writes are not in $IMG"
chaos destroy "$NAME" || fail "chaos destroy $NAME"
[ ! -e "/run/chaos/domains/$id.xs" ] || fail "the snapshot outlived the domain"
kill -TERM "$DPID"
wait "$DPID" || fail_log "chaosd exited with $? on SIGTERM"
[ "$(links)" = "$LINKS" ] || fail "interfaces left: $(links)"
expect_nothing_left
echo "ok: nothing left behind"
