#!/bin/sh
# noxs devices on real Xen, without XenStore: chaos's unikernel reaches
# dom0 over a bridge through the user-space network back end (http, PV and
# PVH; udp-echo), writes a disk through the user-space block back end
# (blk-test, byte-exact in the image afterwards), and powers off when
# `chaos shutdown` asks through the control device.  chaosd's pool shells
# carry their devices ready-made.  Bad input (missing bridge, missing
# image, a bad MAC) leaves nothing behind: no domain, no memory, no
# network interface; nor do 100 guests with a vif each, once destroyed.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
# Another test may have left xenstored running: then the guests must not
# be in it (noxs guests never touch XenStore).
no_xenstore_entry() {
    if xenstored_running && xenstore-read "/local/domain/$1/domid" >/dev/null 2>&1; then
        fail "domain $1 is in XenStore: $(xenstore-ls "/local/domain/$1" 2>&1 | head -n 5)"
    fi
}
UK=/usr/local/libexec/chaos/unikernel
[ -x $UK/http ] || fail "unikernel http not installed"

# The bridge is this test's: later tests (test-tap) make their own.
bridge_up chaosbr0 10.0.0.1/24
echo "interfaces before: $LINKS"

# guest NAME TYPE KERNEL IP [KEY=VALUE...]: creates a networked guest.
guest() {
    name=$1 type=$2 kernel=$3 ip=$4
    shift 4
    cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$type"
kernel = "$UK/$kernel"
memory = 8
vif = [ 'bridge=chaosbr0' ]
cmdline = "ip=$ip/24 name=$name"
on_crash = "preserve"
CFG
    out=$(chaos create "/tmp/$name.cfg" "$@") || fail "chaos create $name: $out"
    echo "$out"
    no_xenstore_entry "$(domid_of "$out")"
}

log_of() { echo "/var/log/chaos/console/$1.log"; }

# http_check NAME IP: the guest answers a GET with a page naming it.
http_check() {
    wait_for 60 "grep -q listening $(log_of "$1")" ||
        fail "$1 did not say it listens: $(cat "$(log_of "$1")")"
    page=""
    for _ in 1 2 3 4 5; do
        # (no -T: busybox 1.35 static wget segfaults with it; timeout instead)
        page=$(timeout 5 wget -q -O - "http://$2/" 2>&1) && break
        sleep 1
    done
    echo "$page" | grep -q "$1" ||
        fail "$1: GET http://$2/ did not return its page: '$page'; console: $(tail -n 5 "$(log_of "$1")")"
    echo "ok: $1 answered wget over chaosbr0: $(echo "$page" | tr '\n' ' ' | cut -c1-160)"
}

guest uk-http-pv pv http 10.0.0.2
http_check uk-http-pv 10.0.0.2
guest uk-http-pvh pvh http 10.0.0.3
http_check uk-http-pvh 10.0.0.3

guest uk-udp pv udp-echo 10.0.0.4
wait_for 60 "grep -q ready $(log_of uk-udp) || grep -q listening $(log_of uk-udp)" ||
    fail "udp-echo not ready: $(cat "$(log_of uk-udp)")"
reply=$(/lab/bin/lab-udp-echo 10.0.0.4 7 chaos-udp-ping 10000 2>&1) ||
    fail "udp-echo did not echo: '$reply'"
echo "ok: udp-echo echoed a datagram"

# chaos shutdown reaches each guest through its control device; the
# monitors destroy them (on_poweroff = "destroy"), and their TAPs go.
for g in uk-http-pv uk-http-pvh uk-udp; do
    id=$(dom_field_by_name "$g")
    out=$(chaos shutdown "$g" 2>&1) || fail "chaos shutdown $g: $out"
    wait_for 30 "[ -z \"\$(dom_field $id state)\" ]" ||
        fail "$g ($id) did not go after chaos shutdown: $(chaos list); console: $(tail -n 3 "$(log_of "$g")")"
    echo "ok: chaos shutdown $g: powered off and destroyed"
done

# Block: blk-test writes a pattern, flushes, reads it back; after it powered
# off, the image holds the pattern byte for byte.
dd if=/dev/zero of=/tmp/blk.img bs=512 count=2048 2>/dev/null
cat >/tmp/uk-blk.cfg <<CFG
name = "uk-blk"
type = "pv"
kernel = "$UK/blk-test"
memory = 8
disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/blk.img' ]
cmdline = "sectors=64 seed=7"
on_poweroff = "preserve"
CFG
out=$(chaos create /tmp/uk-blk.cfg) || fail "chaos create uk-blk: $out"
id=$(domid_of "$out")
reason=$(wait_shutdown "$id" 60) || fail "blk-test did not finish: $(cat "$(log_of uk-blk)")"
grep -q "blk-test: ok" "$(log_of uk-blk)" || fail "blk-test failed: $(cat "$(log_of uk-blk)")"
[ "$reason" = poweroff ] || fail "blk-test shut down with reason $reason"
chaos destroy uk-blk || fail "chaos destroy uk-blk"
want=$(/lab/bin/lab-blk-pattern 64 7 | md5sum | cut -d' ' -f1)
got=$(dd if=/tmp/blk.img bs=512 count=64 2>/dev/null | md5sum | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "the image does not hold blk-test's pattern ($got, want $want)"
echo "ok: blk-test's data is in the image, byte-exact ($got)"

# A guest that corrupts its ring is disconnected with a log line; its
# supervisor carries on (chaos shutdown still reaches the guest).
out=$(chaos create /tmp/uk-blk.cfg name=uk-blk-bad "cmdline='corrupt=1'" \
    on_poweroff=destroy) || fail "chaos create uk-blk-bad: $out"
mlog=/var/log/chaos/console/uk-blk-bad.monitor.log
wait_for 30 "grep -q 'disconnected' $mlog" ||
    fail "no disconnect logged: $(cat "$mlog"); console: $(cat "$(log_of uk-blk-bad)")"
grep -q 'req_prod' "$mlog" || fail "the log does not say what was wrong: $(cat "$mlog")"
out=$(chaos shutdown uk-blk-bad 2>&1) || fail "chaos shutdown uk-blk-bad: $out"
wait_for 30 "! chaos list | grep -q uk-blk-bad" ||
    fail "uk-blk-bad did not go after chaos shutdown: $(chaos list)"
echo "ok: a corrupted ring: $(grep disconnected "$mlog" | head -n 1); the supervisor carried on"

# chaosd: a flavor with a vif keeps shells whose TAP devices and event
# channels were made in prepare; a matching request takes one, and the
# guest is on the network.  SIGTERM destroys the idle shells and their TAPs.
ports() { find /sys/class/net/chaosbr0/brif -mindepth 1 -maxdepth 1 -name 'vif*' | wc -l; }
cat >/tmp/noxs-chaosd.conf <<CONF
socket = "/run/chaos/chaosd.sock"
[flavor net]
type = "pv"
memory = 8
vif = "bridge=chaosbr0"
pool = 2
CONF
START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
    sed 's|--config [^ ]*||')
# shellcheck disable=SC2086 # START is a command line
$START --config /tmp/noxs-chaosd.conf >/tmp/noxs-chaosd.log 2>&1 &
CHAOSD=$!
pool_idle() { chaos pool 2>/dev/null | awk '$1 == "net" { print $6 }'; }
wait_for 120 "[ \"\$(pool_idle)\" = 2 ]" ||
    fail "the pool did not fill: $(tail -n 20 /tmp/noxs-chaosd.log)"
[ "$(ports)" = 2 ] || fail "pool shells: $(ports) TAP ports on chaosbr0, not 2"
echo "ok: chaosd's pool of 2 networked shells, their TAPs on chaosbr0 already"
out=$(chaos create --daemon /tmp/uk-http-pv.cfg name=d-http \
    'cmdline="ip=10.0.0.5/24 name=d-http"' 2>&1) ||
    fail "chaos create --daemon: $out; $(tail -n 20 /tmp/noxs-chaosd.log)"
echo "$out" | grep -q 'from the pool of flavor net' || fail "not from the pool: $out"
http_check d-http 10.0.0.5
d_id=$(dom_field_by_name d-http)
chaos destroy d-http || fail "chaos destroy d-http"
# chaosd lets go of the guest (its console socket, its back ends' fds)
# when its domain events say it is gone: wait for that before counting.
t_gone=$(now_ms)
wait_for 60 "[ ! -e /run/chaos/console/$d_id.sock ]" ||
    fail "chaosd still serves the destroyed d-http ($d_id): $(chaos list);
$(tail -n 5 /tmp/noxs-chaosd.log)"
echo "chaosd let go of d-http $(( $(now_ms) - t_gone )) ms after chaos destroy"
sleep 0.2 # the socket goes first, the descriptors in the same call
# Bad requests to chaosd (direct path: no flavor matches them) leave its
# supervisor as it was: same open descriptors, no domain, no interface.
fds() { find "/proc/$CHAOSD/fd" -mindepth 1 -maxdepth 1 | wc -l; }
FDS=$(fds) DOMS=$(domain_count) NOW_LINKS=$(links)
for bad in "vif=['bridge=nobr0']" \
    "disk=['format=raw, vdev=xvda, access=rw, target=/nonexistent.img']"; do
    out=$(chaos create --daemon /tmp/uk-http-pv.cfg name=d-bad "$bad" 2>&1) &&
        fail "chaosd accepted $bad: $out"
    [ "$(fds)" = "$FDS" ] || fail "chaosd: $(fds) descriptors after '$bad', $FDS before"
    [ "$(domain_count)" = "$DOMS" ] || fail "chaosd left a domain after '$bad': $(chaos list)"
    [ "$(links)" = "$NOW_LINKS" ] || fail "chaosd left an interface after '$bad': $(links)"
    echo "ok: chaosd refused $bad: $out; nothing left (descriptors $FDS)"
done
kill -TERM $CHAOSD
wait $CHAOSD || fail "chaosd exited with status $? on SIGTERM: $(tail -n 20 /tmp/noxs-chaosd.log)"
[ "$(ports)" = 0 ] || fail "$(ports) TAP ports left on chaosbr0 after chaosd stopped"
echo "ok: a pool shell served d-http over the network; chaosd's SIGTERM left no TAP"

# Bad input: clear errors, nothing left.
printf 'name = "bad"\ntype = "pv"\nkernel = "%s/http"\nmemory = 8\n' "$UK" >/tmp/bad.cfg
expect_error "missing bridge" "nobr0" /tmp/bad.cfg "vif=['bridge=nobr0']"
expect_error "not a bridge" "lo" /tmp/bad.cfg "vif=['bridge=lo']"
expect_error "missing image" "/nonexistent.img" /tmp/bad.cfg \
    "disk=['format=raw, vdev=xvda, access=rw, target=/nonexistent.img']"
expect_error "bad MAC" "mac" /tmp/bad.cfg "vif=['mac=01:00:5e:00:00:01,bridge=chaosbr0']"

# 100 guests with a vif each (paused: their devices are made and served
# all the same), then destroyed: nothing left.
t0=$(now_ms)
i=0
while [ $i -lt 100 ]; do
    out=$(chaos create -p /tmp/bad.cfg name=many-$i memory=4 "vif=['bridge=chaosbr0']" 2>&1) ||
        fail "guest $i of 100: $out"
    i=$((i + 1))
done
t1=$(now_ms)
[ "$(ports)" = 100 ] || fail "$(ports) ports on chaosbr0, not 100"
i=0
while [ $i -lt 100 ]; do
    chaos destroy many-$i || fail "destroying many-$i"
    i=$((i + 1))
done
echo "ok: 100 guests with a vif created in $((t1 - t0)) ms and destroyed"

expect_nothing_left
[ "$(links)" = "$LINKS" ] || fail "interfaces left behind: $(links)"
echo "nothing left behind"
