#!/bin/sh
# Repro for the busy counter's triple fault (test-chaos-save.sh,
# late_answer; docs/lab.md, "A known defect of the emulated SVM"): not a
# test (run-all runs test-*.sh only), a measurement.  Workers, each owning
# one busy `counter` (busy_ms = 1 h: it spins in clock_xen_ns, RFLAGS.IF
# = 0) and creating a new one when it dies:
#   ctl-pvhN    PVH, left alone
#   save-pvhN   PVH, `chaos save` in a loop (each times out after 10 s and
#               withdraws its request)
#   pause-pvh   PVH, chaos pause / unpause in a loop (domain_pause, as the
#               SHADOW_OP_OFF of xc_domain_save's cleanup does)
#   ctl-nat     PVH with tsc_mode = "native": Xen does not intercept rdtsc
#   ctl-pv, save-pv  PV (no SVM), for contrast
# Phase a (QUIET s): every worker leaves its guest alone; phase b (until
# TOTAL s): the save and pause workers act.  Every event goes to dom0's
# console too, so the serial log has it even when the run times out.
# Usage: repro-busy-fault.sh [QUIET [TOTAL [DEADLINE]]], DEADLINE an epoch
# second the run must end by.  Under TCG with 8-9 busy guests, expect
# several triple faults in 10 minutes, without any save.
# Example (one lab run):
#   tools/lab/chaos-lab --build build -q --timeout 900 run \
#       "sh /lab/tests/repro-busy-fault.sh 120 600"
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
QUIET=${1:-120}
TOTAL=${2:-660}
# A wall-clock deadline (dom0's clock is QEMU's RTC): a late start
# shortens the run.
DEADLINE=${3:-0}
now=$(date +%s)
if [ "$now" -lt "$DEADLINE" ] && [ $((DEADLINE - now)) -lt "$TOTAL" ]; then
    TOTAL=$((DEADLINE - now))
    [ "$QUIET" -gt $((TOTAL / 5)) ] && QUIET=$((TOTAL / 5))
fi
echo "repro: quiet $QUIET s, total $TOTAL s"
OUT=/tmp/busy-fault
rm -rf $OUT
mkdir -p $OUT
T0=$(date +%s)
t() { echo $(( $(date +%s) - T0 )); }
log_of() { echo "/var/log/chaos/console/$1.log"; }
# note FILE TEXT: into FILE and onto dom0's console (the serial log keeps
# it even if the run times out).
note() { echo "$2" >>"$1"; echo "repro: $2" >/dev/console 2>/dev/null; }

# worker KIND TYPE ACTION [KEY=VALUE]: ACTION is save, pause or none.
worker() {
    kind=$1 type=$2 action=$3 extra=${4:-tsc_mode=default} k=0 saves=0 pauses=0 deaths=0
    w=$OUT/$kind
    while [ "$(t)" -lt "$TOTAL" ]; do
        k=$((k + 1))
        name=$kind-$k
        rm -f "$(log_of "$name")"
        out=$(chaos create "$UK/counter-$type.cfg" kernel=$UK/counter name="$name" "$extra" \
              "cmdline=interval_ms=200 busy_after=1 busy_ms=3600000" 2>&1)
        id=$(domid_of "$out")
        [ -n "$id" ] || { note "$w" "$(t) $kind: create failed: $out"; sleep 5; continue; }
        wait_for 120 "grep -q 'busy for' $(log_of "$name")" ||
            note "$w" "$(t) $name: no 'busy for': $(tail -n 3 "$(log_of "$name")" | tr '\n' '|')"
        note "$w" "$(t) $name: domain $id busy"
        while [ "$(t)" -lt "$TOTAL" ]; do
            if [ "$(t)" -ge "$QUIET" ]; then phase=b; else phase=a; fi
            what=idle
            if [ $phase = b ] && [ "$action" = save ]; then
                what=save
                s=$(t)
                res=$(chaos save "$name" "$OUT/$name.img" 2>&1)
                saves=$((saves + 1))
                echo "$(t) save#$saves ($(( $(t) - s )) s): $res" | tr '\n' ' ' >>"$w"
                echo >>"$w"
                rm -f "$OUT/$name.img"
            elif [ $phase = b ] && [ "$action" = pause ]; then
                what=pause
                chaos pause "$name" >/dev/null 2>&1
                sleep 0.2
                chaos unpause "$name" >/dev/null 2>&1
                pauses=$((pauses + 1))
                sleep 0.3
            else
                sleep 5
            fi
            if [ -z "$(dom_field_by_name "$name")" ]; then
                deaths=$((deaths + 1))
                note "$w" "$(t) DIED $name (domain $id, phase $phase, during $what): $(tail -n 2 "$(log_of "$name")" | tr '\r\n' '  ')"
                break
            fi
        done
    done
    chaos destroy "$name" >/dev/null 2>&1
    note "$w" "$(t) END $kind: guests $k, deaths $deaths, saves $saves, pauses $pauses"
}

worker ctl-pvh1 pvh none &
worker ctl-pvh2 pvh none &
worker save-pvh1 pvh save &
worker save-pvh2 pvh save &
worker pause-pvh pvh pause &
worker ctl-nat pvh none tsc_mode=native &
worker ctl-pv pv none &
worker save-pv pv save &
wait
for f in "$OUT"/*; do
    echo "=== $(basename "$f")"
    grep -v "save#.*withdrawn" "$f"
    echo "saves that timed out and withdrew: $(grep -c "save#.*withdrawn" "$f")"
done
echo "=== guests left: $(chaos list | tr '\n' '|')"
rm -rf $OUT
