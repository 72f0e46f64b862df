#!/bin/sh
# chaosd under valgrind's memcheck on real Xen: its pools fill, it serves
# every kind of request (pool, image pool and direct creates, a console
# (an image shell's supervisor prepared ahead and begun), lifecycle
# actions restart and preserve, a subscriber, list, info, pool resizes,
# restores in place from an in-place restore flavor, the image kept open
# between them, a warm template pool's guest (the counter unikernel, built,
# saved, restored and resumed ahead on a builder thread, then renamed and
# served on the loop), malformed, unknown and oversized requests), then
# stops on SIGTERM.
# memcheck must report no error (invalid access, uninitialised value,
# leak: definite, indirect or possible) and chaosd must leave no
# descriptor open.  Nothing is left on the host.
#
# valgrind 3.19 (Debian 12) does not know Xen 4.17's hypercall interface:
# lab-vg-xen.so makes the hypercalls for it (see that file).  Exit 77
# (reported as SKIP by run-all, with the reason) when this build cannot run
# under valgrind: an ASan build, or no valgrind at build time.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
SHIM=/lab/bin/lab-vg-xen.so
CHAOSD=/usr/local/sbin/chaosd
UK=/usr/local/libexec/chaos/unikernel
RAW=/lab/bin/lab-chaosd-create
CONF=/tmp/chaosd-vg.conf
LOG=/tmp/chaosd-vg.log
VG=/tmp/chaosd-vg.memcheck
skip() { echo "SKIP: $*"; exit 77; }
grep -q libasan "$CHAOSD" && skip "chaosd is built with AddressSanitizer, which cannot run under valgrind"
command -v valgrind >/dev/null || skip "no valgrind in dom0 (the host had none when the lab image was built: apt-get install valgrind libc6-dbg)"
[ -f $SHIM ] || skip "no $SHIM (valgrind's headers were missing at configure time: apt-get install valgrind)"
snapshot

# The warm pool's template: counter, saved once it counts.
cat >/tmp/vg-warm.cfg <<EOF
name = "vg-warm-template"
type = "pv"
kernel = "$UK/counter"
memory = 4
cmdline = "interval_ms=500"
on_poweroff = "destroy"
EOF
cat >$CONF <<EOF
socket = "/run/chaos/chaosd.sock"
idle_memory_mib = 64
ready_timeout_s = 900
[flavor unikernel-pv]
type = "pv"
memory = 4
pool = 2
[flavor unikernel-pvh]
type = "pvh"
memory = 4
pool = 1
[flavor vg-inplace]
type = "pvh"
memory = 4
pool = 1
restore = "in-place"
[flavor vg-image]
type = "pv"
memory = 4
kernel = "$UK/hello"
cmdline = "sleep_ms=1000"
pool = 1
[flavor vg-warm]
type = "pv"
memory = 4
template = "/tmp/vg-warm.cfg"
template_ready = "counter 2"
template_timeout_s = 600
template_warm = "resumed in a new domain"
pool = 1
EOF
fail_log() {
    echo "--- chaosd log:"; tail -n 30 $LOG
    echo "--- memcheck log:"; tail -n 60 $VG
    [ -n "$PID" ] && kill $PID 2>/dev/null
    fail "$*"
}
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }
pools_full() {
    [ "$(pool_col unikernel-pv 6)" = 2 ] && [ "$(pool_col unikernel-pvh 6)" = 1 ] &&
        [ "$(pool_col vg-inplace 6)" = 1 ] && [ "$(pool_col vg-image 6)" = 1 ] &&
        [ "$(pool_col vg-warm 6)" = 1 ]
}
gone() { [ -z "$(dom_field "$1" state)" ]; }
# request LINE: one raw request, chaosd's first reply line.
request() { printf '%s\n' "$1" | $RAW --raw 1; }

LD_PRELOAD=$SHIM valgrind --tool=memcheck --leak-check=full \
    --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible \
    --track-fds=yes --num-callers=30 --error-exitcode=99 \
    --suppressions=/lab/tests/chaosd.supp --log-file=$VG \
    $CHAOSD --config $CONF >$LOG 2>&1 &
PID=$!
wait_for 900 pools_full || fail_log "pools did not fill under valgrind: $(chaos pool 2>&1)"
echo "ok: chaosd under memcheck filled its pools: $(grep -c . $LOG) log lines"

# A subscriber for the whole run; it goes when chaosd does.
printf '{"v":1,"op":"subscribe"}\n' | $RAW --raw 100000 >/tmp/chaosd-vg.events &
SUB=$!
wait_for 60 "grep -q '\"ok\":true' /tmp/chaosd-vg.events" || fail_log "the subscription was not answered"
echo "subscribed: $(head -n 1 /tmp/chaosd-vg.events)"

cd $UK || fail "unikernel images not installed"
# Pool create (PV and PVH), on_poweroff = destroy carried out by chaosd.
out=$(chaos create --daemon hello-pv.cfg name=vg-hello) || fail_log "pool create: $out"
echo "$out" | grep -q 'from the pool' || fail_log "not from the pool: $out"
id=$(domid_of "$out")
wait_for 120 "gone $id" || fail_log "vg-hello ($id) not destroyed after poweroff"
out=$(chaos create --daemon hello-pvh.cfg name=vg-hello-pvh) || fail_log "PVH create: $out"
wait_for 120 "gone $(domid_of "$out")" || fail_log "vg-hello-pvh not destroyed"
# Direct create (no flavor has 8 MiB).
out=$(chaos create --daemon hello-pv.cfg name=vg-direct memory=8) || fail_log "direct: $out"
echo "$out" | grep -q 'by chaosd directly' || fail_log "expected the direct path: $out"
wait_for 120 "gone $(domid_of "$out")" || fail_log "vg-direct not destroyed"
# An image shell's create: its supervisor, prepared with the shell,
# serves the guest (its first line, then its poweroff: destroyed).
rm -f /var/log/chaos/console/vg-image.log
out=$(chaos create --daemon hello-pv.cfg name=vg-image kernel=$UK/hello cmdline=sleep_ms=1000) ||
    fail_log "image create: $out"
echo "$out" | grep -q 'from the image pool' || fail_log "not from the image pool: $out"
wait_for 120 "grep -q 'hello from chaos unikernel' /var/log/chaos/console/vg-image.log" ||
    fail_log "vg-image printed nothing"
wait_for 120 "gone $(domid_of "$out")" || fail_log "vg-image not destroyed after poweroff"
grep -q 'created vg-image .*, its supervisor prepared ahead' $LOG ||
    fail_log "vg-image's supervisor was not prepared with its shell"
echo "ok: pool creates (PV, PVH, image) and a direct create; on_poweroff=destroy carried out"

# A warm template pool's guest: renamed (its log with it), unpaused,
# counting on, served by chaosd's loop; then destroyed.
sed 's/^name = .*/name = "vg-warm-1"/' /tmp/vg-warm.cfg >/tmp/vg-warm-1.cfg
rm -f /var/log/chaos/console/vg-warm-1.log
out=$(chaos create --daemon --json /tmp/vg-warm-1.cfg) || fail_log "warm create: $out"
echo "$out" | grep -q '"warm": *true' || fail_log "not a warm guest: $out"
wait_for 120 "grep -Eq '^counter ([3-9]|[1-9][0-9]+)' /var/log/chaos/console/vg-warm-1.log" ||
    fail_log "vg-warm-1 does not count on: $(tail -n 5 /var/log/chaos/console/vg-warm-1.log)"
chaos destroy vg-warm-1 || fail_log "destroy vg-warm-1"
rm -f /tmp/vg-warm-1.cfg
echo "ok: a warm template guest taken, counting on under chaosd's loop, destroyed"

# The console chaosd serves, attached and left.
out=$(chaos create --daemon echo-pv.cfg name=vg-echo) || fail_log "echo: $out"
wait_for 60 "grep -q 'echo: ready' /var/log/chaos/console/vg-echo.log" || fail_log "echo not ready"
(sleep 2; printf 'hi valgrind\r'; sleep 5) | timeout 30 chaos console vg-echo >/tmp/vg-echo.out 2>&1
grep -q 'echo: hi valgrind' /tmp/vg-echo.out || fail_log "no answer on the console: $(cat /tmp/vg-echo.out)"
chaos destroy vg-echo || fail_log "destroy vg-echo"
echo "ok: console attached, answered, guest destroyed"

# Restores in place (PVH counter), twice from one image: the image opened
# (checked, mapped, indexed) once, then kept open until chaosd stops.
cat >/tmp/vg-counter.cfg <<EOF
name = "vg-counter"
type = "pvh"
kernel = "$UK/counter"
memory = 4
cmdline = "interval_ms=200"
EOF
out=$(chaos create --direct /tmp/vg-counter.cfg) || fail_log "counter: $out"
wait_for 60 "grep -q '^counter 2' /var/log/chaos/console/vg-counter.log" || fail_log "vg-counter does not count"
out=$(chaos save vg-counter /tmp/vg-counter.img 2>&1) || fail_log "save vg-counter: $out"
for n in 1 2; do
    wait_for 300 "[ \"\$(pool_col vg-inplace 6)\" = 1 ]" || fail_log "no in-place shell: $(chaos pool)"
    out=$(chaos restore --daemon /tmp/vg-counter.img name=vg-restored-$n) || fail_log "restore $n: $out"
    echo "$out" | grep -q 'in place into a shell of flavor vg-inplace' || fail_log "restore $n not in place: $out"
    wait_for 60 "grep -q 'resumed in a new domain' /var/log/chaos/console/vg-restored-$n.log" ||
        fail_log "vg-restored-$n did not resume"
    chaos destroy vg-restored-$n || fail_log "destroy vg-restored-$n"
done
grep -q 'restored vg-restored-2 .* image kept open' $LOG || fail_log "the image was not kept open"
rm -f /tmp/vg-counter.img /tmp/vg-counter.cfg
echo "ok: two restores in place from one image, kept open between them"

# on_poweroff = restart: chaosd builds it again; then it is destroyed (a
# destroy is no shutdown, so chaosd does not restart it; retried in case
# it landed between two lives).
out=$(chaos create --daemon hello-pv.cfg name=vg-restart on_poweroff=restart cmdline=sleep_ms=8000) ||
    fail_log "restart guest: $out"
rid=$(domid_of "$out")
named() { chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$1\"" |
          sed -n 's/.*"domid":\([0-9]*\).*/\1/p'; }
wait_for 120 "gone $rid && [ -n \"\$(named vg-restart)\" ]" ||
    fail_log "vg-restart was not restarted: $(chaos list)"
wait_for 60 "chaos destroy vg-restart >/dev/null 2>&1; sleep 3; [ -z \"\$(named vg-restart)\" ]" ||
    fail_log "vg-restart could not be destroyed: $(chaos list)"
# on_crash = preserve: the crashed guest stays until destroyed.
out=$(chaos create --daemon hello-pv.cfg name=vg-crash on_crash=preserve cmdline=crash=panic) ||
    fail_log "crash guest: $out"
cid=$(domid_of "$out")
wait_for 120 "[ \"\$(dom_field $cid state)\" = crashed ] || [ \"\$(dom_field $cid shutdown_reason)\" = crash ]" ||
    fail_log "vg-crash ($cid) not preserved crashed: $(chaos list)"
# Destroyed once subscribers heard of the crash (chaosd looks every 250 ms
# when xenstored holds Xen's VIRQ).
wait_for 10 "tr -d ' ' </tmp/chaosd-vg.events | grep -q '\"event\":\"crash\",\"domid\":$cid,'" ||
    fail_log "no crash event for vg-crash: $(cat /tmp/chaosd-vg.events)"
chaos destroy "$cid" || fail_log "destroy vg-crash"
echo "ok: on_poweroff=restart and on_crash=preserve carried out"

# Requests of every kind, good and bad; chaosd answers each and carries on.
for r in '{"v":1,"op":"list"}' '{"v":1,"op":"info"}' '{"v":1,"op":"pool"}' \
         '{"v":1,"op":"ping"}'; do
    request "$r" | grep -q '"ok":true' || fail_log "no ok answer to $r"
done
request '{"v":1,"op":"list"' | grep -q '"code":"bad-json"' || fail_log "malformed request not refused"
request '{"v":1,"op":"explode"}' | grep -q '"code":"unknown-op"' || fail_log "unknown op not refused"
request '{"v":99,"op":"list"}' | grep -q '"code":"version"' || fail_log "version 99 not refused"
request '{"v":1,"op":"destroy","domain":"no-such-guest"}' | grep -q '"code":"not-found"' ||
    fail_log "destroy of a missing guest not refused"
request '{"v":1,"op":"create","config":"name = \"vg-bad\"\nmemory = \"lots\"\n"}' |
    grep -q '"code":"config"' || fail_log "a bad config was not refused"
request '{"v":1,"op":"create","path":"/no/such.cfg"}' | grep -q '"ok":false' ||
    fail_log "a missing config file was not refused"
big=$(head -c 70000 /dev/zero | tr '\0' 'x')
printf '{"v":1,"op":"list","x":"%s"}\n' "$big" | $RAW --raw 1 | grep -q '"code":"too-large"' ||
    fail_log "oversized request not refused"
# A client that leaves in the middle of a request line.
printf '{"v":1,"op":' | $RAW --raw 0
echo "ok: good and bad requests answered"

# Pools resized up and down: shells built and destroyed.
chaos pool set unikernel-pv 4 >/dev/null || fail_log "pool set up"
wait_for 300 "[ \"\$(pool_col unikernel-pv 6)\" = 4 ]" || fail_log "pool did not grow: $(chaos pool)"
chaos pool set unikernel-pv 1 >/dev/null || fail_log "pool set down"
wait_for 120 "[ \"\$(pool_col unikernel-pv 6)\" = 1 ]" || fail_log "pool did not shrink: $(chaos pool)"
echo "ok: pool resized 2 -> 4 -> 1"

# The subscriber saw the guests' events, with their names.
for e in '"event":"created","domid":'"$rid"',"name":"vg-restart",' \
         '"event":"shutdown","domid":'"$rid"',"name":"vg-restart","reason":"poweroff"' \
         '"event":"crash","domid":'"$cid"',"name":"vg-crash","reason":"crash"' \
         '"event":"death","domid":'"$cid"','; do
    tr -d ' ' </tmp/chaosd-vg.events | grep -q "$e" ||
        fail_log "the subscriber did not see $e: $(cat /tmp/chaosd-vg.events)"
done
n=$(tr -d ' ' </tmp/chaosd-vg.events | grep -c '"event":"created","domid":[0-9]*,"name":"vg-restart"')
[ "$n" -ge 2 ] || fail_log "the subscriber saw $n created events of vg-restart, expected the restart's too"
echo "ok: the subscriber saw created (request and restart), shutdown, crash and death events ($(grep -c . /tmp/chaosd-vg.events) events)"

# ---- stop, and what memcheck says
kill -TERM $PID
wait $PID
status=$?
PID=
wait $SUB 2>/dev/null
echo "chaosd under valgrind exited with status $status"
grep 'FILE DESCRIPTORS' $VG | sed 's/^==[0-9]*== //'
sed -n '/HEAP SUMMARY/,$p' $VG | sed 's/^==[0-9]*== //' | grep -v '^$' | head -n 40
[ "$status" = 0 ] || fail_log "exit status $status (99: memcheck found errors)"
grep -q 'ERROR SUMMARY: 0 errors' $VG || fail_log "memcheck found errors"
# Descriptors chaosd opened and did not close (the inherited 0, 1, 2 and
# valgrind's own log are not counted).
leaked=$(awk '/Open (file descriptor|AF_UNIX socket|AF_INET socket)/ { fd = $0; next }
              fd != "" { if ($0 !~ /inherited from parent/) print fd; fd = "" }' $VG)
[ -z "$leaked" ] || fail_log "descriptors left open at exit: $leaked"
echo "ok: memcheck: no errors, no leaks, no descriptors left open"
wait_for 60 "[ \"\$(chaos list --json | grep -c '\"state\": *\"paused\"')\" = 0 ]" ||
    fail "idle shells left after SIGTERM: $(chaos list)"
expect_nothing_left
rm -f /tmp/vg-warm.cfg
echo "nothing left behind"
