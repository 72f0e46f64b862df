#!/bin/sh
# The console chaos serves itself (no xenconsoled), for PV and PVH guests:
# what a guest prints reaches its log, `chaos console` shows the backlog
# and live output, typed input reaches the guest, and the guest's monitor
# carries out on_poweroff (destroy) and exits, removing its socket.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
UK=/usr/local/libexec/chaos/unikernel
for type in pv pvh; do
    name=chaos-echo-$type
    log=/var/log/chaos/console/$name.log
    out=$(chaos create --json "$UK/echo-$type.cfg" kernel=$UK/echo) ||
        fail "$type: chaos create: $out"
    id=$(echo "$out" | sed -n 's/.*"domid": *\([0-9]*\).*/\1/p')
    wait_for 60 "grep -q 'echo: ready' $log" ||
        fail "$type: the guest's output never reached $log: $(cat $log 2>&1)"
    echo "ok: $type: guest output reached $log"
    # shellcheck disable=SC2010 # reads the mode ls prints, not file names
    ls -l "/run/chaos/console/$id.sock" | grep -q '^srw-------' ||
        fail "$type: console socket is not 0600: $(ls -l /run/chaos/console/)"
    (sleep 1; printf 'hello lab\r'; sleep 4; printf 'quit\r'; sleep 4) |
        timeout 30 chaos console "$name" >/tmp/console-$type.out 2>&1
    grep -q 'echo: ready' /tmp/console-$type.out ||
        fail "$type: chaos console did not show the backlog: $(cat /tmp/console-$type.out)"
    grep -q 'echo: hello lab' /tmp/console-$type.out ||
        fail "$type: typed input got no answer: $(cat /tmp/console-$type.out)"
    echo "ok: $type: chaos console showed the backlog and the guest answered input"
    # echo powers off after "quit"; its config says on_poweroff = "destroy".
    wait_for 30 "[ -z \"\$(dom_field $id state)\" ]" ||
        fail "$type: the monitor did not destroy the powered-off guest: $(chaos list)"
    wait_for 10 "[ ! -e /run/chaos/console/$id.sock ]" ||
        fail "$type: the monitor left its socket behind"
    echo "ok: $type: powered off, destroyed by its monitor (on_poweroff), socket removed"
done
expect_nothing_left
echo "nothing left behind"
