#!/bin/sh
# `chaos create -F` (issue 13 §2): the command stays until the guest has
# ended and its exit status says how (0 poweroff, 3 crash), a stop signal
# destroys the guest (exit 0), and a restart is followed (the command
# stays with the new domain).  Both ways: without chaosd (the command
# serves the guest itself: no background monitor) and through chaosd (it
# follows chaosd's events).  -c with -F is a usage error.  Nothing is
# left behind.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
CHAOSD=/usr/local/sbin/chaosd
UK=/usr/local/libexec/chaos/unikernel
CONF=/tmp/chaosd-fg.conf
LOG=/tmp/chaosd-fg.log
SOCK=/tmp/chaosd-fg.sock
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID"; }
trap cleanup EXIT
fail_log() {
    echo "--- chaosd log:"; tail -n 30 $LOG 2>/dev/null
    echo "--- events:"; cat /tmp/fg-events.json 2>/dev/null
    fail "$*"
}
# The domain id of the running guest named $1 (empty if none).
id_by_name() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
        grep "\"name\":\"$1\"" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p'
}
# monitors: how many background monitors run (the forked `chaos create`).
monitors() {
    n=0
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' <"$f" 2>/dev/null | grep -q '^[^ ]*chaos create ' && n=$((n + 1))
    done
    echo $n
}

out=$(chaos create -c -F "$UK/hello-pv.cfg" 2>&1)
[ $? = 2 ] || fail "-c -F: exit status not 2: $out"
echo "$out" | grep -q 'exclude each other' || fail "-c -F: unclear error: $out"

# run_fg VIA NAME EXPECTED ARGS...: chaos create -F, its exit status checked.
run_fg() {
    via=$1 name=$2 want=$3
    shift 3
    # timeout: a command that never sees its guest end fails the test.
    out=$(timeout 120 chaos create -F "$via" "$UK/hello-pv.cfg" kernel=$UK/hello name="$name" "$@" 2>&1)
    st=$?
    [ "$st" = "$want" ] || fail_log "create -F $via $name $*: exit $st, not $want: $out"
    [ -z "$(id_by_name "$name")" ] || fail_log "$name still runs after create -F returned"
    echo "ok: create -F $via $name $*: exit $st; said: $(echo "$out" | tr '\n' ' ')"
}

# stop_fg VIA NAME: a long-running guest, SIGTERM to the command, which
# destroys it and exits 0.  With RESTART set (a guest that powers off
# after 2 s, restarted), the command must still be there after a restart.
stop_fg() {
    via=$1 name=$2
    rm -f /tmp/fg.out
    first="" now=""
    extra="cmdline=sleep_ms=60000"
    [ -z "$RESTART" ] || extra="on_poweroff=restart cmdline=sleep_ms=2000"
    # shellcheck disable=SC2086 # $extra: KEY=VALUE words
    chaos create -F "$via" "$UK/hello-pv.cfg" kernel=$UK/hello name="$name" \
        $extra >/tmp/fg.out 2>&1 &
    fg=$!
    # (A guest that restarts every 2 s is between domains at times.)
    wait_for 60 "first=\$(id_by_name $name); [ -n \"\$first\" ]" ||
        fail_log "$name did not start: $(cat /tmp/fg.out)"
    if [ -n "$RESTART" ]; then
        wait_for 60 "now=\$(id_by_name $name); [ -n \"\$now\" ] && [ \"\$now\" != $first ]" ||
            fail_log "$name did not restart: $(cat /tmp/fg.out)"
        kill -0 $fg 2>/dev/null || fail_log "create -F ended at the restart: $(cat /tmp/fg.out)"
        echo "ok: $via: $name restarted ($first -> $now), create -F stays"
    fi
    kill -TERM $fg
    (sleep 90; kill -KILL $fg 2>/dev/null) &
    watchdog=$!
    wait $fg
    st=$?
    kill $watchdog 2>/dev/null
    [ "$st" = 0 ] || fail_log "create -F $via $name: exit $st after SIGTERM: $(cat /tmp/fg.out)"
    wait_for 10 "[ -z \"\$(id_by_name $name)\" ]" || fail_log "$name still runs after SIGTERM to create -F"
    echo "ok: create -F $via $name: SIGTERM destroyed it, exit 0"
}

# ---- without chaosd: the command serves the guest
before=$(monitors)
run_fg --direct fg-off 0
run_fg --direct fg-crash 3 cmdline=crash=panic
RESTART="" stop_fg --direct fg-term
RESTART=1 stop_fg --direct fg-restart
[ "$(monitors)" = "$before" ] || fail "a background monitor was started ($(monitors), before $before)"
expect_nothing_left

# ---- through chaosd: the command follows its events
cat >$CONF <<EOF
socket = "$SOCK"
idle_memory_mib = 16
[flavor unikernel-pv]
type = "pv"
memory = 4
pool = 1
EOF
$CHAOSD --config $CONF >$LOG 2>&1 &
PID=$!
export CHAOSD_SOCKET=$SOCK
wait_for 60 "chaos pool >/dev/null 2>&1" || fail_log "chaosd does not answer"
# What chaosd's subscribers see, for the log of a failure.
chaos events --json >/tmp/fg-events.json 2>&1 &
EVENTS=$!
wait_for 30 "grep -q 'subscribed to chaosd' /tmp/fg-events.json" ||
    fail_log "chaos events did not subscribe"
run_fg --daemon fg-d-off 0
run_fg --daemon fg-d-crash 3 cmdline=crash=panic
RESTART="" stop_fg --daemon fg-d-term
RESTART=1 stop_fg --daemon fg-d-restart
grep -q 'restarted as domain' /tmp/fg.out || fail "create -F did not say it follows the restart: $(cat /tmp/fg.out)"
# Subscribers got Xen's events of these short-lived pooled guests too
# (chaosd looks at a new guest's domain for events before its supervisor first looks:
# a guest that ended between two looks was once never reported).
saw() {
    wait_for 10 "grep -q '\"event\":\"$1\",\"domid\":[0-9]*,\"name\":\"$2\"$3' /tmp/fg-events.json" ||
        fail_log "chaos events did not report $1 of $2"
}
saw shutdown fg-d-off ',"reason":"poweroff"'
saw death fg-d-off
saw crash fg-d-crash ',"reason":"crash"'
saw death fg-d-crash
saw shutdown fg-d-restart ',"reason":"poweroff"'
saw death fg-d-term
echo "ok: chaos events reported the pooled guests' shutdown, crash and death"
kill $EVENTS
kill "$PID" && wait "$PID"
PID=
rm -f $CONF /tmp/fg.out /tmp/fg-events.json
expect_nothing_left
echo "nothing left behind"
