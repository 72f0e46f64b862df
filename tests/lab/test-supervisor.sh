#!/bin/sh
# One guest supervisor (libchaos's chaos_supervisor) serves every guest,
# whoever started it:
#  - rename-restart is refused before any domain exists, by `chaos create`
#    and by chaosd (a raw request, past the command's own check);
#  - a guest of a `chaos create` monitor and one of chaosd: console log,
#    on_poweroff = restart (a new domain, the same log goes on) and
#    on_crash = preserve, with the same messages from both;
#  - a chaosd started while a monitor serves a guest leaves it alone (the
#    lock is held, and it says so); once the monitor is killed (SIGKILL),
#    a restarted chaosd adopts the guest: its console socket answers again
#    and chaosd carries out its restart.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
UK=/usr/local/libexec/chaos/unikernel
RAW=/lab/bin/lab-chaosd-create
CHAOSD=/usr/local/sbin/chaosd
CONF=/tmp/chaosd-sv.conf
LOG=/tmp/chaosd-sv.log
LOGDIR=/var/log/chaos/console
MARK="hello from chaos unikernel"
PID=

fail_log() {
    echo "--- chaosd log:"; tail -n 30 $LOG 2>/dev/null
    echo "--- chaosd $PID alive: $([ -n "$PID" ] && [ -d /proc/$PID ] && echo yes || echo no)"
    echo "--- chaos list:"; chaos list 2>&1
    echo "--- kernel:"; dmesg | tail -n 5
    [ -n "$PID" ] && kill $PID 2>/dev/null
    fail "$*"
}
marks() { grep -c "$MARK" "$LOGDIR/$1.log" 2>/dev/null || echo 0; }
id_of_name() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
        grep "\"name\":\"$1\"" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p'
}
start_chaosd() { $CHAOSD --config $CONF >>$LOG 2>&1 & PID=$!; }
stop_chaosd() {
    kill -TERM $PID
    wait $PID
    st=$?
    PID=
    [ $st = 0 ] || fail "chaosd exited with status $st"
}
cat >$CONF <<EOF
socket = "/run/chaos/chaosd.sock"
idle_memory_mib = 16
ready_timeout_s = 900
[flavor unikernel-pv]
type = "pv"
memory = 4
pool = 1
EOF
rm -f $LOG "$LOGDIR"/sv-*.log "$LOGDIR"/sv-*.monitor.log

# ---- one rule: refused before anything is created, by both
out=$(chaos create --direct "$UK/hello-pv.cfg" kernel=$UK/hello name=sv-x \
      on_reboot=rename-restart 2>&1) && fail "chaos create accepted rename-restart: $out"
echo "$out" | grep -q 'on_reboot = "rename-restart" is not supported yet' ||
    fail "unclear refusal from chaos create: $out"
[ "$(domain_count)" = "$SNAP_DOMS" ] || fail "a domain appeared: $(chaos list)"
start_chaosd
wait_for 120 "[ -S /run/chaos/chaosd.sock ]" || fail_log "chaosd does not listen"
sed -e "s|^kernel = .*|kernel = \"$UK/hello\"|" -e 's|^name = .*|name = "sv-x"|' \
    -e 's|^on_reboot = .*|on_reboot = "rename-restart"|' "$UK/hello-pv.cfg" >/tmp/sv-rr.cfg
out=$($RAW /tmp/sv-rr.cfg 2>&1) && fail_log "chaosd accepted rename-restart: $out"
echo "$out" | grep -q 'on_reboot = .*rename-restart.* is not supported yet' ||
    fail_log "unclear refusal from chaosd: $out"
[ -z "$(id_of_name sv-x)" ] || fail_log "sv-x exists: $(chaos list)"
echo "ok: rename-restart refused by chaos create and by chaosd: $out"

# ---- a chaosd guest: console, restart, preserve
out=$(chaos create --daemon "$UK/hello-pv.cfg" kernel=$UK/hello name=sv-d \
      on_poweroff=restart cmdline=sleep_ms=8000) || fail_log "create sv-d: $out"
first=$(domid_of "$out")
wait_for 90 "[ \$(marks sv-d) -ge 2 ]" || fail_log "sv-d did not run twice: $(cat $LOGDIR/sv-d.log)"
second=$(id_of_name sv-d)
{ [ -n "$second" ] && [ "$second" != "$first" ]; } || fail_log "sv-d: $first -> '$second'"
grep -q "'sv-d' (domain $first) shut down (poweroff): restart" $LOG || fail_log "no shutdown message"
grep -q "'sv-d' restarted as domain $second" $LOG || fail_log "no restart message"
chaos destroy sv-d || fail_log "destroy sv-d"
echo "ok: chaosd: sv-d restarted ($first -> $second), its log goes on ($(marks sv-d) greetings)"
out=$(chaos create --daemon "$UK/hello-pv.cfg" kernel=$UK/hello name=sv-dc \
      on_crash=preserve cmdline=crash=panic) || fail_log "create sv-dc: $out"
id=$(domid_of "$out")
wait_for 60 "grep -q \"'sv-dc' (domain $id) shut down (crash): preserve\" $LOG" ||
    fail_log "chaosd did not preserve sv-dc"
[ "$(dom_field "$id" state)" = crashed ] || fail_log "sv-dc is $(dom_field "$id" state)"
grep -q "$MARK" $LOGDIR/sv-dc.log || fail_log "no console output from sv-dc"
chaos destroy "$id" || fail_log "destroy sv-dc"
echo "ok: chaosd: sv-dc crashed and was preserved"
stop_chaosd

# ---- a monitor's guest: the same
out=$(chaos create --direct "$UK/hello-pv.cfg" kernel=$UK/hello name=sv-m \
      on_poweroff=restart cmdline=sleep_ms=8000) || fail "create sv-m: $out"
first=$(domid_of "$out")
MLOG=$LOGDIR/sv-m.monitor.log
wait_for 90 "[ \$(marks sv-m) -ge 2 ]" || fail "sv-m did not run twice: $(cat $MLOG)"
second=$(id_of_name sv-m)
{ [ -n "$second" ] && [ "$second" != "$first" ]; } || fail "sv-m: $first -> '$second'"
grep -q "'sv-m' (domain $first) shut down (poweroff): restart" $MLOG || fail "monitor: $(cat $MLOG)"
grep -q "'sv-m' restarted as domain $second" $MLOG || fail "monitor: $(cat $MLOG)"
chaos destroy sv-m || fail "destroy sv-m"
echo "ok: monitor: sv-m restarted ($first -> $second), its log goes on"
out=$(chaos create --direct "$UK/hello-pv.cfg" kernel=$UK/hello name=sv-mc \
      on_crash=preserve cmdline=crash=panic) || fail "create sv-mc: $out"
id=$(domid_of "$out")
wait_for 60 "grep -q \"'sv-mc' (domain $id) shut down (crash): preserve\" $LOGDIR/sv-mc.monitor.log" ||
    fail "the monitor did not preserve sv-mc: $(cat $LOGDIR/sv-mc.monitor.log)"
[ "$(dom_field "$id" state)" = crashed ] || fail "sv-mc is $(dom_field "$id" state)"
chaos destroy "$id" || fail "destroy sv-mc"
echo "ok: monitor: sv-mc crashed and was preserved"

# ---- who serves: a monitor's guest, chaosd, the monitor killed
out=$(chaos create --direct "$UK/hello-pv.cfg" kernel=$UK/hello name=sv-a \
      on_poweroff=restart cmdline=sleep_ms=40000) || fail "create sv-a: $out"
aid=$(domid_of "$out")
wait_for 30 "[ \$(marks sv-a) -ge 1 ]" || fail "sv-a printed nothing"
start_chaosd
wait_for 120 "grep -q 'sv-a ($aid): left to its server: domain $aid is served by process' $LOG" ||
    fail_log "chaosd did not leave sv-a to its monitor"
mon=$(sed -n "s/.*sv-a ($aid): left to its server: domain $aid is served by process \([0-9]*\).*/\1/p" $LOG | tail -n 1)
[ -d "/proc/$mon" ] || fail_log "no process $mon"
echo "ok: chaosd left sv-a to its monitor (process $mon)"
stop_chaosd
kill -9 "$mon"
start_chaosd
wait_for 120 "grep -q 'recovered: 1 running guests adopted' $LOG" ||
    fail_log "chaosd did not adopt sv-a after its monitor was killed"
(sleep 2) | timeout 20 chaos console sv-a >/tmp/sv-a.out 2>&1
grep -q "$MARK" /tmp/sv-a.out || fail_log "chaos console sv-a (chaosd): $(cat /tmp/sv-a.out)"
echo "ok: chaosd adopted sv-a; chaos console shows its backlog again"
wait_for 120 "grep -q \"'sv-a' restarted as domain\" $LOG" ||
    fail_log "chaosd did not restart sv-a"
wait_for 60 "[ \$(marks sv-a) -ge 2 ]" || fail_log "sv-a's log did not go on"
echo "ok: chaosd carried out sv-a's restart: $(grep "'sv-a'" $LOG | tr '\n' ' ')"
chaos destroy sv-a || fail_log "destroy sv-a"
stop_chaosd
expect_nothing_left
echo "nothing left behind"
