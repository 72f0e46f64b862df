#!/bin/sh
# The unikernel's side of save and restore (issue 12), on real Xen.
# First without chaos's save: libxenguest's own xc_domain_save of a
# `counter` guest (PV and PVH) asked to suspend through its control
# device, then xc_domain_resume(fast): the save accepts the guest (PV: its
# p2m, page tables, start info record) and the guest counts on after a
# cancelled suspend (lab-uk-save).  Then, if chaos has save and restore:
# `counter` keeps counting through `chaos save -c` and, saved and
# restored into a new domain, goes on from the number it stopped at and
# can be saved again; `http` answers a GET again after a restore (its vif
# reconnected).
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
[ -x $UK/counter ] || fail "unikernel counter not installed"

log_of() { echo "/var/log/chaos/console/$1.log"; }
console() { tr -d '\r' <"$(log_of "$1")" 2>/dev/null; }
# The last number NAME printed, or 0.
last_count() {
    n=$(console "$1" | sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' | tail -n 1)
    echo "${n:-0}"
}
# expect NAME TEXT [SECONDS]: the console shows TEXT (a fixed string).
expect() {
    wait_for "${3:-60}" "console $1 | grep -qxF -- '$2'" ||
        fail "$1: no '$2' on the console; it ends: $(console "$1" | tail -n 8 | tr '\n' '|')"
}
# occurrences NAME TEXT: how many lines are TEXT.
occurrences() { console "$1" | grep -cxF -- "$2"; }
gone() {
    wait_for 30 "[ -z \"\$(dom_field_by_name $1)\" ]" ||
        fail "$1 did not go away: $(chaos list)"
}
# ms TEXT COMMAND...: runs COMMAND, fails with its output, says how long.
timed() {
    what=$1
    shift
    t0=$(now_ms)
    out=$("$@" 2>&1) || fail "$what: $out"
    echo "ok: $what ($(( $(now_ms) - t0 )) ms)${out:+: $(echo "$out" | tr '\n' ' ')}"
}

# ---- Part 1: libxenguest's save, the guest's cancelled suspend ----------
# chaos gives a noxs page (with a control device) to guests with devices:
# a small disk the counter never opens.  The control device offers
# suspend (lab-uk-save writes the bit while the guest is paused).
# on_poweroff = "preserve": a supervisor that does not know suspend must
# leave the suspended domain alone.  The counter takes a feature dom0's
# record does not list, so its supervisor disconnects the (unused) disk.
dd if=/dev/zero of=/tmp/uk-save-disk.img bs=512 count=64 2>/dev/null
for mode in pv pvh; do
    name=uk-xcsave-$mode
    cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$mode"
kernel = "$UK/counter"
memory = 4
vcpus = 1
disk = [ 'format=raw, vdev=xvda, access=ro, target=/tmp/uk-save-disk.img' ]
cmdline = "interval_ms=200"
on_poweroff = "preserve"
on_crash = "preserve"
CFG
    out=$(chaos create -p "/tmp/$name.cfg") || fail "chaos create $name: $out"
    id=$(domid_of "$out")
    frame=$(sed -n 's/^page \([0-9]*\) .*/\1/p' "/run/chaos/domains/$id.dev")
    [ -n "$frame" ] || fail "$name: no page in /run/chaos/domains/$id.dev"
    out=$(/lab/bin/lab-uk-save "$id" "$frame" offer 2>&1) || fail "$name: offer: $out"
    chaos unpause "$name" || fail "chaos unpause $name"
    expect "$name" "counter 3"
    out=$(/lab/bin/lab-uk-save "$id" "$frame" save "/tmp/$name.img" 2>&1) ||
        fail "$name: lab-uk-save: $out; console ends: $(console "$name" | tail -n 5 | tr '\n' '|')"
    echo "ok: $name: $out"
    expect "$name" "counter: suspend cancelled"
    n=$(last_count "$name")
    expect "$name" "counter $((n + 2))"
    echo "ok: $name counted on after a cancelled suspend (to $((n + 2)))"
    out=$(/lab/bin/lab-uk-save "$id" "$frame" save "/tmp/$name.img" 2>&1) ||
        fail "$name: second lab-uk-save: $out"
    wait_for 30 "[ \"\$(occurrences $name 'counter: suspend cancelled')\" = 2 ]" ||
        fail "$name: no second cancelled suspend"
    echo "ok: $name: saved and resumed a second time: $out"
    chaos destroy "$name" || fail "chaos destroy $name"
    rm -f "/tmp/$name.img"
done
rm -f /tmp/uk-save-disk.img

# ---- Part 2: chaos save and chaos restore --------------------------------
if ! chaos save --help >/dev/null 2>&1 || ! chaos restore --help >/dev/null 2>&1; then
    echo "unikernel suspend lab test: part 1 passed; chaos has no save/restore yet: part 2 not run"
    exit 0
fi

for mode in pv pvh; do
    name=uk-counter-$mode
    img=/tmp/$name.img
    cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$mode"
kernel = "$UK/counter"
memory = 4
vcpus = 1
cmdline = "interval_ms=200"
on_crash = "preserve"
CFG
    out=$(chaos create "/tmp/$name.cfg") || fail "chaos create $name: $out"
    id=$(domid_of "$out")
    expect "$name" "counter 3"

    # save -c: the suspend is cancelled, the same domain counts on.
    timed "$name: chaos save -c" chaos save -c "$name" "$img"
    expect "$name" "counter: suspend cancelled"
    [ "$(dom_field_by_name "$name")" = "$id" ] || fail "$name: not domain $id any more"
    n=$(last_count "$name")
    expect "$name" "counter $((n + 3))"
    echo "ok: $name counted on after save -c (to $((n + 3)))"

    # save: the domain goes; restore: a new one counts on from there.
    timed "$name: chaos save" chaos save "$name" "$img"
    gone "$name"
    n=$(last_count "$name")
    echo "$name: saved at counter $n, image $(wc -c <"$img") bytes"
    timed "$name: chaos restore" chaos restore "$img"
    expect "$name" "counter: resumed in a new domain"
    expect "$name" "counter $((n + 3))"
    # The line after "resumed" is the next number: none lost, none repeated.
    next=$(console "$name" | sed -n '/^counter: resumed in a new domain$/,$p' |
        sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' | head -n 1)
    [ "$next" = $((n + 1)) ] || fail "$name: after the restore counted $next, not $((n + 1))"
    echo "ok: $name restored: counter $n, then $next"

    # A restored guest can be saved again, and restored again.
    timed "$name: chaos save -c (restored)" chaos save -c "$name" "$img"
    wait_for 30 "[ \"\$(occurrences $name 'counter: suspend cancelled')\" = 2 ]" ||
        fail "$name: the restored guest did not come back from save -c"
    timed "$name: chaos save (restored)" chaos save "$name" "$img"
    gone "$name"
    n=$(last_count "$name")
    timed "$name: chaos restore (again)" chaos restore "$img"
    wait_for 30 "[ \"\$(occurrences $name 'counter: resumed in a new domain')\" = 2 ]" ||
        fail "$name: not resumed a second time"
    expect "$name" "counter $((n + 2))"
    echo "ok: $name saved and restored twice"

    out=$(chaos shutdown "$name" 2>&1) || fail "chaos shutdown $name: $out"
    gone "$name"
    rm -f "$img"
done

# http over a vif: answers again after a restore (devices reconnected).
brctl addbr chaosbr1 || fail "cannot create the bridge"
trap 'ip link set chaosbr1 down 2>/dev/null; brctl delbr chaosbr1 2>/dev/null' EXIT
if ! ip addr add 10.0.1.1/24 dev chaosbr1 || ! ip link set chaosbr1 up; then
    fail "cannot set up the bridge"
fi
get() { timeout 5 wget -q -O - "http://$1/" 2>&1; }
http_ok() { # NAME IP
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        page=$(get "$2") && echo "$page" | grep -q "$1" && return 0
        sleep 1
    done
    fail "$1: GET http://$2/ failed: '$page'; console ends: $(console "$1" | tail -n 6 | tr '\n' '|')"
}
ip=10
for mode in pv pvh; do
    name=uk-http-$mode
    img=/tmp/$name.img
    ip=$((ip + 1))
    cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$mode"
kernel = "$UK/http"
memory = 8
vif = [ 'bridge=chaosbr1' ]
cmdline = "ip=10.0.1.$ip/24 name=$name"
on_crash = "preserve"
CFG
    out=$(chaos create "/tmp/$name.cfg") || fail "chaos create $name: $out"
    wait_for 60 "console $name | grep -q listening" || fail "$name not listening: $(console "$name")"
    http_ok "$name" "10.0.1.$ip"
    timed "$name: chaos save -c" chaos save -c "$name" "$img"
    expect "$name" "noxs: suspend cancelled"
    http_ok "$name" "10.0.1.$ip"
    echo "ok: $name answers after save -c"
    timed "$name: chaos save" chaos save "$name" "$img"
    gone "$name"
    timed "$name: chaos restore" chaos restore "$img"
    wait_for 60 "console $name | grep -q 'noxs: resumed in a new domain'" ||
        fail "$name: not resumed: $(console "$name" | tail -n 6 | tr '\n' '|')"
    http_ok "$name" "10.0.1.$ip"
    echo "ok: $name answers after a restore: $(console "$name" | grep 'noxs: resumed')"
    out=$(chaos shutdown "$name" 2>&1) || fail "chaos shutdown $name: $out"
    gone "$name"
    rm -f "$img"
done
# blk-test over a disk: passes, is saved and restored, passes again with
# the next seed on the reconnected disk; the image holds that pattern.
for mode in pv pvh; do
    name=uk-blk-$mode
    img=/tmp/$name.img
    disk=/tmp/$name.disk
    dd if=/dev/zero of="$disk" bs=512 count=2048 2>/dev/null
    cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$mode"
kernel = "$UK/blk-test"
memory = 8
disk = [ 'format=raw, vdev=xvda, access=rw, target=$disk' ]
cmdline = "sectors=64 seed=11 again=1"
on_crash = "preserve"
CFG
    out=$(chaos create "/tmp/$name.cfg") || fail "chaos create $name: $out"
    expect "$name" "blk-test: waiting for a save and restore"
    timed "$name: chaos save" chaos save "$name" "$img"
    gone "$name"
    timed "$name: chaos restore" chaos restore "$img"
    expect "$name" "blk-test: restored"
    wait_for 60 "[ \"\$(occurrences $name 'blk-test: ok 64 sectors')\" = 2 ]" ||
        fail "$name: no second pass: $(console "$name" | tail -n 6 | tr '\n' '|')"
    gone "$name" # powered off (exit status 0)
    want=$(/lab/bin/lab-blk-pattern 64 12 | md5sum | cut -d' ' -f1)
    got=$(dd if="$disk" bs=512 count=64 2>/dev/null | md5sum | cut -d' ' -f1)
    [ "$want" = "$got" ] || fail "$name: the disk does not hold the second run's pattern"
    echo "ok: $name wrote and read its disk again after a restore (pattern of seed 12 on disk)"
    rm -f "$img" "$disk"
done
echo "unikernel suspend lab test: all checks passed"
