#!/bin/sh
# chaosd as systemd runs it: the installed chaosd.socket and chaosd.service
# played by lab-sd-activate (dom0 has no systemd; it logs every sd_notify
# message systemd would get).  The socket is made before chaosd starts
# (ListenStream, SocketMode) and passed as fd 3; chaosd serves it and
# creates no socket of its own; READY=1 comes once the pool is full, from
# the main process, after STATUS= lines; requests work at once; SIGTERM
# brings STOPPING=1 and exit status 0, idle shells are destroyed, a guest
# keeps running, and systemd's socket stays.  Nothing is left.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
UNITS=/usr/local/lib/systemd/system
LOG=/tmp/chaosd-sd.log
NLOG=/tmp/chaosd-sd.notify
CONF=/tmp/chaosd-sd.conf
# chaosd.conf's socket: must never be created, the passed one wins.
OWN=/run/chaos/chaosd-own.sock
unit_key() { sed -n "s/^$2=//p" "$UNITS/$1" | head -n 1; }
START=$(unit_key chaosd.service ExecStart)
TIMEOUT=$(unit_key chaosd.service TimeoutStartSec)
LISTEN=$(unit_key chaosd.socket ListenStream)
MODE=$(unit_key chaosd.socket SocketMode)
for v in "$START" "$LISTEN" "$MODE"; do [ -n "$v" ] ||
    fail "ExecStart, ListenStream or SocketMode missing in $UNITS/chaosd.{service,socket}"; done
echo "ExecStart=$START; ListenStream=$LISTEN SocketMode=$MODE TimeoutStartSec=$TIMEOUT"
# The unit's command with a small pool instead of the installed config.
echo "$START" | grep -q -- '--config ' || fail "ExecStart has no --config: $START"
START=$(echo "$START" | sed "s|--config [^ ]*|--config $CONF|")
cat >$CONF <<EOF
socket = "$OWN"
ready_timeout_s = 100
[flavor unikernel-pv]
type = "pv"
memory = 4
pool = 2
EOF
export CHAOSD_SOCKET="$LISTEN"
rm -f $LOG $NLOG $OWN
PID=
fail_log() {
    echo "--- chaosd log:"; tail -n 30 $LOG
    echo "--- notifications:"; cat $NLOG
    # Stopped, so that the socket is free for the next test.
    [ -n "$PID" ] && kill -TERM "$PID" && wait_for 60 "grep -q '^[0-9]* exit ' $NLOG"
    fail "$*"
}
notified() { grep -q "pid $PID: $1\$" $NLOG; }
paused_count() { chaos list --json | grep -c '"state": *"paused"'; }

# ---- start: socket first, then the service; READY=1 when the pool is full
# shellcheck disable=SC2086 # ExecStart is split into words, as systemd does
/lab/bin/lab-sd-activate --listen "$LISTEN" --socket-mode "$MODE" --notify-log $NLOG \
    --ready-timeout "${TIMEOUT:-120}" -- $START >>$LOG 2>&1
rc=$?
PID=$(sed -n 's/.*READY after .* main pid \([0-9]*\).*/\1/p' $LOG)
[ $rc = 0 ] || PID=
[ -n "$PID" ] || fail_log "no READY=1 (lab-sd-activate exit $rc)"
# Right after READY=1, the pool is full and requests are served.
idle=$(chaos pool | awk '$1 == "unikernel-pv" { print $6 }')
[ "$idle" = 2 ] || fail_log "READY=1 before the pool was full: $(chaos pool 2>&1)"
grep 'READY after' $LOG
ino=$(sed -n 's/.*listening on .* (inode \([0-9]*\),.*/\1/p' $LOG)
grep -q "listening on the socket systemd passed ($LISTEN)" $LOG ||
    fail_log "chaosd did not say it uses the passed socket"
[ "$(stat -c %i "$LISTEN")" = "$ino" ] || fail_log "$LISTEN is not the socket lab-sd-activate made"
[ ! -e $OWN ] || fail_log "chaosd created its own socket $OWN"
[ "$(stat -c %a "$LISTEN")" = "${MODE#0}" ] ||
    fail_log "socket mode $(stat -c %a "$LISTEN"), SocketMode=$MODE"
grep -q '(ignored)' $NLOG && fail_log "notifications from another process than chaosd"
[ "$(grep -c ': READY=1$' $NLOG)" = 1 ] || fail_log "READY=1 not sent exactly once"
grep -q 'ready (pools filled)' $LOG || fail_log "READY=1 was not for a full pool"
# The STATUS= line just before READY=1 says the pool is full.
last=$(sed -n '/: READY=1$/q; /: STATUS=/p' $NLOG | tail -n 1)
echo "$last" | grep -q 'STATUS=2/2 idle shells' || fail_log "STATUS before READY: '$last'"
echo "ok: READY=1 once, from chaosd, with the pool full and the passed socket (inode $ino, mode $MODE) served"

# ---- create through the passed socket: from the pool, STATUS= follows
cd /usr/local/libexec/chaos/unikernel || fail "unikernel images not installed"
out=$(chaos create --daemon hello-pv.cfg name=sd-stays cmdline=sleep_ms=600000) ||
    fail_log "chaos create via chaosd: $out"
echo "$out" | grep -q 'from the pool of flavor unikernel-pv' || fail_log "not from the pool: $out"
kid=$(domid_of "$out")
wait_for 10 "notified 'STATUS=.*1 created from pools.*'" || fail_log "no STATUS= after the create"
wait_for 60 "[ \"\$(paused_count)\" = 2 ]" || fail_log "pool not refilled: $(chaos pool)"
echo "ok: chaos create through the passed socket took a shell; STATUS= counted it"

# ---- SIGTERM, as systemctl stop
kill -TERM "$PID"
wait_for 60 "grep -q '^[0-9]* exit ' $NLOG" || fail_log "chaosd did not exit after SIGTERM"
PID_DONE=$PID
PID=
grep -q "pid $PID_DONE: STOPPING=1\$" $NLOG || fail_log "no STOPPING=1"
grep -q ' exit status 0$' $NLOG || fail_log "chaosd's exit: $(grep '^[0-9]* exit ' $NLOG)"
[ "$(paused_count)" = 0 ] || fail_log "idle shells left after SIGTERM: $(chaos list)"
st=$(dom_field "$kid" state)
[ "$st" = running ] || [ "$st" = blocked ] || fail_log "sd-stays is '$st' after SIGTERM"
# The socket is systemd's: chaosd leaves it (it would queue the next
# connection and start chaosd again).
[ "$(stat -c %i "$LISTEN" 2>/dev/null)" = "$ino" ] || fail_log "chaosd removed systemd's socket"
echo "ok: SIGTERM: STOPPING=1, exit status 0, idle shells destroyed, sd-stays running, socket kept"
echo "--- what systemd would have received:"
cat $NLOG
rm -f "$LISTEN"
chaos destroy "$kid" || fail "destroy sd-stays"
expect_nothing_left
echo "nothing left behind"
