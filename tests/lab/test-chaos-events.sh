#!/bin/sh
# Domain events (chaos_events_*, docs/events.md), printed by lab-events:
# NEW, SHUTDOWN with its reason, CRASH, and DEATH (with the name chaos
# knew, though the registry forgets it on destroy), first with the VIRQ
# as the source (no xenstored: nothing else holds VIRQ_DOM_EXC), then with
# xenstored running (it holds the VIRQ; its domain watches are the
# source).  xenstored stays up for the later tests: a restarted xenstored
# has lost the watches dom0's kernel set in the first one, so the kernel's
# back ends (xl's guests with a vif, test-tinyx-net) would never see a
# device again in this boot.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
xenstored_running && fail "this test starts without xenstored"
UK=/usr/local/libexec/chaos/unikernel
EV=/tmp/lab-events.out
EV_PID=

stop_events() {
    [ -n "$EV_PID" ] && kill "$EV_PID" 2>/dev/null && wait "$EV_PID"
    EV_PID=
}
trap 'stop_events' EXIT

# expect_event 'REGEX' SECONDS: waits for a matching line from lab-events.
expect_event() {
    wait_for "$2" "grep -q '$1' $EV" ||
        fail "no event matching '$1' within $2 s; lab-events printed: $(cat $EV)"
}

# create NAME [KEY=VALUE...]: creates hello, prints its domid.
create() {
    name=$1; shift
    out=$(chaos create "$UK/hello-pv.cfg" kernel=$UK/hello name="$name" "$@") ||
        fail "chaos create $name: $out"
    domid_of "$out"
}

# check_source SOURCE PREFIX: the whole sequence with one subscription.
check_source() {
    : >$EV
    /lab/bin/lab-events 600 >$EV 2>&1 &
    EV_PID=$!
    wait_for 10 "grep -q '^source' $EV" || fail "lab-events did not start: $(cat $EV)"
    grep -q "^source $1\$" $EV || fail "expected source $1, got: $(cat $EV)"
    snapshot

    id=$(create "$2-hello" on_poweroff=preserve)
    # A domain may be seen first as a nameless shell (before execute).
    expect_event "^event new $id " 15
    expect_event "^event shutdown $id $2-hello poweroff\$" 30
    chaos destroy "$id" || fail "chaos destroy $id failed"
    expect_event "^event death $id $2-hello -\$" 15

    id=$(create "$2-crash" cmdline=crash=panic on_crash=preserve)
    expect_event "^event crash $id $2-crash crash\$" 30
    chaos destroy "$id" || fail "chaos destroy $id failed"
    expect_event "^event death $id $2-crash -\$" 15

    stop_events
    # Each domain is reported once per change, in order.
    [ "$(grep -c "^event new " $EV)" = 2 ] || fail "expected 2 new events: $(cat $EV)"
    [ "$(grep -c "^event death " $EV)" = 2 ] || fail "expected 2 death events: $(cat $EV)"
    echo "source $1: $(tr '\n' ';' <$EV)"
    expect_nothing_left
}

check_source virq ev-virq
/lab/bin/xl-up || fail "xl-up could not start xenstored"
check_source xenstore ev-xs
echo "events seen with both sources"
