#!/bin/sh
# chaosd on real Xen, started with the ExecStart command of the installed
# chaosd.service (dom0 has no systemd): its pools fill; `chaos create`
# goes through it (pool path for matching flavors, direct otherwise) and
# the guests' consoles and on_poweroff actions work; killed with SIGKILL
# in the middle of a refill, a new chaosd destroys the orphaned shells,
# re-adopts the running guest (and carries out its action), and hands out
# every shell once; SIGTERM destroys idle shells only.  Nothing is left.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
UK=/usr/local/libexec/chaos/unikernel
UNIT=/usr/local/lib/systemd/system/chaosd.service
LOG=/tmp/chaosd.log
[ -f "$UNIT" ] || fail "chaosd.service is not installed at $UNIT"
[ -f /usr/local/lib/systemd/system/chaosd.socket ] || fail "chaosd.socket is not installed"
START=$(sed -n 's/^ExecStart=//p' "$UNIT")
[ -n "$START" ] || fail "no ExecStart in $UNIT"
echo "ExecStart: $START"

fail_log() { echo "--- chaosd log:"; tail -n 40 $LOG; fail "$*"; }
start_chaosd() { $START >>$LOG 2>&1 & PID=$!; }
# pool_col FLAVOR COLUMN: a column of `chaos pool` (5 size, 6 idle, 7 filling)
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }
pools_full() {
    [ "$(pool_col unikernel-pv 6)" = 4 ] && [ "$(pool_col unikernel-pvh 6)" = 2 ]
}
paused_count() { chaos list --json | grep -c '"state": *"paused"'; }

# ---- start, pools fill
start_chaosd
wait_for 120 pools_full || fail_log "pools did not fill in 120 s: $(chaos pool 2>&1)"
grep -q 'ready (pools filled)' $LOG || fail_log "chaosd did not report readiness"
chaos pool
[ "$(paused_count)" = 6 ] || fail_log "expected 6 idle shells (paused domains): $(chaos list)"
echo "ok: pools filled (4 PV + 2 PVH shells), readiness reported"

# `chaos events` through chaosd's subscription, for the creates below.
chaos events --json >/tmp/d-events.json 2>/tmp/d-events.err &
EVPID=$!
wait_for 30 "grep -q 'subscribed to chaosd' /tmp/d-events.err" ||
    fail_log "chaos events did not subscribe: $(cat /tmp/d-events.err)"
cat /tmp/d-events.err

# ---- create through chaosd: pool path, PV and PVH, console, actions
cd $UK || fail "unikernel images not installed"
out=$(chaos create --daemon --timings hello-pv.cfg name=d-hello on_poweroff=preserve) ||
    fail_log "chaos create via chaosd: $out"
echo "$out"
echo "$out" | grep -q 'from the pool of flavor unikernel-pv' || fail_log "not from the pool: $out"
id=$(domid_of "$out")
pv=$id
reason=$(wait_shutdown "$id" 60) || fail_log "hello ($id) did not shut down: $(chaos list)"
[ "$reason" = poweroff ] || fail_log "hello shut down with reason '$reason'"
wait_for 10 "grep -q 'hello from chaos unikernel' /var/log/chaos/console/d-hello.log" ||
    fail_log "hello's output is not in its console log: $(cat /var/log/chaos/console/d-hello.log)"
echo "ok: pool create (PV): hello ran, its console log says: $(head -n 1 /var/log/chaos/console/d-hello.log | tr -d '\r')"
# Kept (preserve) until its shutdown reached subscribers: chaosd's look
# sees it within 250 ms even when Xen's events come through xenstored.
wait_for 10 "tr -d ' ' </tmp/d-events.json | grep -q '\"event\":\"shutdown\",\"domid\":$id,'" ||
    fail_log "no shutdown event for d-hello: $(cat /tmp/d-events.json)"
chaos destroy "$id" || fail "destroy $id"

out=$(chaos create hello-pvh.cfg name=d-hello-pvh) || fail_log "create PVH: $out"
echo "$out" | grep -q 'from the pool of flavor unikernel-pvh' || fail_log "PVH not from the pool: $out"
id=$(domid_of "$out")
# on_poweroff = "destroy" (the config's): chaosd destroys it.
wait_for 60 "[ -z \"\$(dom_field $id state)\" ]" ||
    fail_log "chaosd did not destroy the powered-off PVH guest $id: $(chaos list)"
grep -q 'hello from chaos unikernel' /var/log/chaos/console/d-hello-pvh.log ||
    fail_log "PVH hello's output is not in its log"
echo "ok: pool create (PVH): hello ran and chaosd carried out on_poweroff=destroy"
pvh=$(domid_of "$out")
# What `chaos events` saw: chaosd's "created", then Xen's shutdown and death.
for e in '"event":"created","domid":'"$pv"',"name":"d-hello","path":"pool"' \
         '"event":"shutdown","domid":'"$pv"',"name":"d-hello","reason":"poweroff"' \
         '"event":"death","domid":'"$pv"',' \
         '"event":"created","domid":'"$pvh"',"name":"d-hello-pvh","path":"pool"' \
         '"event":"death","domid":'"$pvh"','; do
    wait_for 10 "grep -q '$e' /tmp/d-events.json" ||
        fail_log "chaos events did not show $e: $(cat /tmp/d-events.json)"
done
kill $EVPID
wait $EVPID
st=$?
[ $st = 0 ] || fail "chaos events exited with status $st on SIGTERM"
echo "ok: chaos events showed created (pool), shutdown (poweroff) and death"

# A shape no flavor has: built directly by chaosd, and it says so.
out=$(chaos create --daemon hello-pv.cfg name=d-direct memory=8) || fail_log "direct: $out"
echo "$out" | grep -q 'by chaosd directly' || fail_log "expected the direct path: $out"
wait_for 60 "[ -z \"\$(dom_field $(domid_of "$out") state)\" ]" || fail_log "d-direct not destroyed"
# --direct: built here, with a monitor, although chaosd runs.
out=$(chaos create --direct hello-pv.cfg name=d-local) || fail "--direct: $out"
echo "$out" | grep -q 'created domain d-local' || fail "--direct output: $out"
wait_for 60 "[ -z \"\$(dom_field $(domid_of "$out") state)\" ]" || fail "d-local not destroyed"
echo "ok: direct path (chaosd) and --direct (no chaosd) both work"

# The console chaosd serves: attach, type, see the answer.
out=$(chaos create echo-pv.cfg name=d-echo) || fail_log "create echo: $out"
eid=$(domid_of "$out")
wait_for 30 "grep -q 'echo: ready' /var/log/chaos/console/d-echo.log" || fail_log "echo not ready"
(sleep 1; printf 'hi chaosd\r'; sleep 3) | timeout 20 chaos console d-echo >/tmp/d-echo.out 2>&1
grep -q 'echo: hi chaosd' /tmp/d-echo.out || fail_log "no answer on chaosd's console: $(cat /tmp/d-echo.out)"
echo "ok: chaos console attached to a console chaosd serves"
chaos destroy d-echo || fail "destroy d-echo"
wait_for 10 "[ ! -e /run/chaos/console/$eid.sock ]" || fail_log "chaosd kept d-echo's console socket"
wait_for 30 pools_full || fail_log "pools did not refill: $(chaos pool)"

# ---- SIGKILL in the middle of a refill, then a new chaosd
# A guest that lives through the crash, then powers off (destroy).
out=$(chaos create hello-pv.cfg name=d-survivor cmdline=sleep_ms=20000) || fail_log "$out"
sid=$(domid_of "$out")
chaos pool set unikernel-pv 40 >/dev/null || fail_log "pool set"
# Kill it while it refills: at once after the resize was accepted (chaosd
# starts the refill before it answers; 36 more shells take a while).  A
# shell half-prepared at that moment has a record written before Xen was
# asked for its domain (domid=-1).  Sampling `chaos pool` instead would
# race: here a whole refill can finish between two samples.
preparing() { grep -l '^domid=-1$' /run/chaos/chaosd/shells/* 2>/dev/null | head -n 1; }
kill -9 $PID
wait $PID 2>/dev/null
half=$(basename "$(preparing)" 2>/dev/null)
# shellcheck disable=SC2012 # chaosd names its records by domain id
records=$(ls /run/chaos/chaosd/shells | wc -l)
# 40 PV + 2 PVH records would mean the refill had finished.
[ "$records" -lt 42 ] || fail_log "the refill had finished before SIGKILL ($records shell records)"
echo "killed chaosd (SIGKILL) while refilling: $records shell records of 42, a shell half-prepared: ${half:-none}; $(paused_count) paused domains"
before=$(domain_count)
start_chaosd
wait_for 120 pools_full || fail_log "pools did not fill after the restart: $(chaos pool 2>&1)"
grep -q 'recovered: 1 running guests adopted' $LOG || fail_log "d-survivor was not adopted"
# Exactly the configured shells exist: the old ones were destroyed.
[ "$(paused_count)" = 6 ] || fail_log "orphaned shells: $(paused_count) paused domains, expected 6: $(chaos list)"
# shellcheck disable=SC2012 # chaosd names its records by domain id
[ "$(ls /run/chaos/chaosd/shells | wc -l)" = 6 ] || fail_log "shell records: $(ls /run/chaos/chaosd/shells)"
echo "ok: restart after SIGKILL: orphaned shells destroyed ($before domains before, $(domain_count) now), d-survivor adopted"
# The adopted guest's on_poweroff (destroy) is carried out by the new chaosd.
wait_for 60 "[ -z \"\$(dom_field $sid state)\" ]" || fail_log "adopted d-survivor not destroyed after poweroff"
echo "ok: the new chaosd carried out the adopted guest's on_poweroff"

# Every shell is handed out once: 8 creates in a row (more than the pool
# holds) give 8 distinct domains, all running guests.
ids=""
i=1
while [ $i -le 8 ]; do
    out=$(chaos create -q --json hello-pv.cfg name=d-many-$i cmdline=sleep_ms=60000) ||
        fail_log "create d-many-$i: $out"
    ids="$ids $(echo "$out" | sed -n 's/.*"domid": *\([0-9]*\).*/\1/p')"
    i=$((i + 1))
done
# shellcheck disable=SC2086 # echo $ids: one line of the words, no blanks
[ "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" = 8 ] || fail_log "domids repeat: $ids"
for id in $ids; do
    st=$(dom_field "$id" state)
    [ "$st" = running ] || [ "$st" = blocked ] || fail_log "guest $id is '$st'"
done
echo "ok: 8 creates gave 8 distinct running guests:$ids"
for id in $ids; do chaos destroy "$id" || fail "destroy $id"; done

# ---- SIGTERM: idle shells destroyed, guests left alone
wait_for 60 pools_full || fail_log "pools did not refill"
out=$(chaos create hello-pv.cfg name=d-stays cmdline=sleep_ms=600000) || fail_log "$out"
kid=$(domid_of "$out")
kill -TERM $PID
wait $PID
status=$?
[ "$status" = 0 ] || fail_log "chaosd exited with status $status after SIGTERM"
[ ! -e /run/chaos/chaosd.sock ] || fail "the socket was left behind"
[ "$(paused_count)" = 0 ] || fail_log "idle shells left after SIGTERM: $(chaos list)"
st=$(dom_field "$kid" state)
[ "$st" = running ] || [ "$st" = blocked ] || fail_log "d-stays is '$st' after SIGTERM"
echo "ok: SIGTERM destroyed the idle shells and left d-stays running"
# Without chaosd, `chaos create` builds directly (and says nothing of pools).
out=$(chaos create hello-pv.cfg name=d-nodaemon) || fail "create without chaosd: $out"
echo "$out" | grep -q 'created domain d-nodaemon (id' || fail "without chaosd: $out"
chaos create --daemon hello-pv.cfg name=d-x >/dev/null 2>&1 && fail "--daemon succeeded without chaosd"
echo "ok: without chaosd, create builds directly; --daemon fails"
chaos destroy "$kid" || fail "destroy d-stays"
wait_for 60 "[ -z \"\$(dom_field $(domid_of "$out") state)\" ]" || fail "d-nodaemon not destroyed"
expect_nothing_left
echo "nothing left behind"
