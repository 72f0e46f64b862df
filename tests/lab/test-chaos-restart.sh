#!/bin/sh
# on_poweroff = "restart" (xl's meaning): the guest's monitor destroys the
# domain when it powers off and creates it again from the same
# configuration: a new domid, the same name, and its console goes on into
# the same log (the marker appears twice).  Destroying it then leaves
# nothing behind (the monitor exits and unmaps the console).  Actions chaos
# does not carry out yet are refused before anything is created.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
UK=/usr/local/libexec/chaos/unikernel
NAME=uk-restart
LOG=/var/log/chaos/console/$NAME.log
MARK="hello from chaos unikernel"

out=$(chaos create "$UK/hello-pv.cfg" kernel=$UK/hello name=x on_reboot=rename-restart 2>&1) &&
    fail "rename-restart was accepted: $out"
echo "$out" | grep -q 'on_reboot = "rename-restart" is not supported yet' ||
    fail "unclear refusal: $out"
echo "refused: $out"
expect_nothing_left

rm -f "$LOG"
# Each run sleeps 8 s before powering off: time to see the second one and
# destroy it before it restarts again.
out=$(chaos create "$UK/hello-pv.cfg" kernel=$UK/hello name=$NAME \
      on_poweroff=restart cmdline=sleep_ms=8000) || fail "chaos create: $out"
first=$(domid_of "$out")
echo "$out"
wait_for 60 "[ \"\$(grep -c '$MARK' $LOG 2>/dev/null)\" -ge 2 ]" ||
    fail "no second run in the log within 60 s: $(cat $LOG); monitor: $(cat /var/log/chaos/console/$NAME.monitor.log)"
second=$(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
         grep "\"name\":\"$NAME\"" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p')
[ -n "$second" ] || fail "$NAME is not running after the restart: $(chaos list)"
[ "$second" != "$first" ] || fail "still domain $first after the restart"
[ -z "$(dom_field "$first" state)" ] || fail "the first domain $first is still there: $(chaos list)"
echo "restarted: domain $first -> $second, same name; monitor said: $(cat /var/log/chaos/console/$NAME.monitor.log | tr '\n' ' ')"
echo "console log: $(tr -d '\r' <$LOG | tr '\n' ' ')"
# At least twice: on a loaded host the checks above can outlast the 8 s of
# the second run, and a third run is as good a proof.
[ "$(grep -c "$MARK" $LOG)" -ge 2 ] || fail "expected the marker at least twice: $(cat $LOG)"

chaos destroy $NAME || fail "chaos destroy $NAME failed"
expect_nothing_left
echo "nothing left behind"
