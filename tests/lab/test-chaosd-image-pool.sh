#!/bin/sh
# Image pools (issue 13 §1; chaosd.conf(5), kernel/ramdisk/cmdline of a
# flavor): chaosd prepares the flavor's shells with the unikernel `hello`
# loaded and built in, so a create that asks for that kernel and command
# line only names, writes the devices and starts the guest:
# - the pools fill (2 image shells, 1 plain); a create with the flavor's
#   kernel and cmdline takes an image shell (path "image", nothing loaded
#   or built on the request) and the guest prints its first line;
# - another command line takes the plain pool's shell (path "pool");
# - the kernel file rewritten: the next create does not take the stale
#   image (path "pool"), the stale shells are given back and rebuilt, and
#   the create after that is "image" again and runs the new file;
# - a PVH flavor with cmdline_per_request: creates with their own command
#   lines take its shells (path "image") and each guest runs with its own
#   line (hello names a bad one on its console, runs with a good one);
# - each image shell's supervisor was prepared ahead (its console ring
#   and device page mapped when it was loaded) and begun by its create:
#   chaosd's log has no word of a fallback to an ordinary start;
# - SIGTERM destroys the idle shells; nothing is left (a prepared
#   supervisor not closed would keep its shell's domain dying);
# - SIGKILL with the pools full: the next chaosd destroys the shells and
#   the files their prepared supervisors kept in RUNDIR (lock files,
#   console sockets, device records).
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
DIR=/tmp/chaosd-image-pool
LOG=$DIR/chaosd.log
[ -x $UK/hello ] || fail "unikernel hello not installed"
command -v chaosd >/dev/null || fail "chaosd not installed"
rm -rf $DIR
mkdir -p $DIR
snapshot
# Supervisors' lock files: a prepared one takes its shell's.
locks() { find "${CHAOS_RUN_DIR:-/run/chaos}/supervisors" -type f 2>/dev/null | sort | tr '\n' ' '; }
LOCKS=$(locks)
# ... and everything else a supervisor keeps in RUNDIR: device records,
# console and store sockets.
server_files() {
    r=${CHAOS_RUN_DIR:-/run/chaos}
    find "$r/supervisors" "$r/console" "$r/store" "$r/domains" \( -type f -o -type s \) \
        2>/dev/null | grep -v '/domains/[0-9]*$' | sort | tr '\n' ' '
}
FILES=$(server_files)

fail_log() { echo "--- chaosd log:"; tail -n 40 $LOG; fail "$*"; }
log_of() { echo "/var/log/chaos/console/$1.log"; }
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }
pools_full() { [ "$(pool_col img 6)" = 2 ] && [ "$(pool_col plain 6)" = 1 ] &&
    [ "$(pool_col any 6)" = 1 ]; }
HOLD=sleep_ms=600000
# A copy of the kernel: the test rewrites it.
cp $UK/hello $DIR/hello

cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 64
[flavor img]
type = "pv"
memory = 4
kernel = "$DIR/hello"
cmdline = "$HOLD"
pool = 2
[flavor plain]
type = "pv"
memory = 4
pool = 1
[flavor any]
type = "pvh"
memory = 4
kernel = "$DIR/hello-any"
cmdline_per_request = "yes"
pool = 1
CONF
cp $UK/hello $DIR/hello-any
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 120 pools_full || fail_log "pools did not fill: $(chaos pool 2>&1)"
chaos pool
echo "ok: pools filled (2 image shells with hello built in, 1 plain, 1 PVH for any command line)"

# create NAME CMDLINE PATH: created through chaosd, the reply's path is
# PATH, the guest prints its first line.  TYPE and KERNEL (default pv and
# $DIR/hello) pick the guest.
create() {
    cat >$DIR/"$1".cfg <<CFG
name = "$1"
type = "${TYPE:-pv}"
kernel = "${KERNEL:-$DIR/hello}"
memory = 4
cmdline = "$2"
CFG
    rm -f "$(log_of "$1")"
    out=$(chaos create --daemon --json $DIR/"$1".cfg 2>&1) || fail_log "create $1: $out"
    echo "$out" | grep -q "\"path\": *\"$3\"" || fail_log "$1: path is not $3: $out"
    wait_for 60 "grep -q 'hello from chaos unikernel' $(log_of "$1") 2>/dev/null" ||
        fail_log "$1 did not print its first line: $(cat "$(log_of "$1")" 2>&1)"
    echo "ok: $1 from path $3: $(echo "$out" | sed -n 's/.*"timings": *//p')"
}
create ip-1 "$HOLD" image
echo "$out" | grep -Eq '"load_ms": *0(\.0+)?[,}]' || fail_log "ip-1: the image was loaded on the request: $out"
echo "$out" | grep -Eq '"build_ms": *0(\.0+)?[,}]' || fail_log "ip-1: the image was built on the request: $out"
grep -q 'created ip-1 .* from image pool img' $LOG || fail_log "ip-1: chaosd's log does not say image pool"
wait_for 60 pools_full || fail_log "the image pool did not refill: $(chaos pool)"
create ip-2 "$HOLD x=1" pool
wait_for 60 pools_full || fail_log "the plain pool did not refill: $(chaos pool)"
echo "ok: another command line took the plain pool"

# The kernel rewritten (new mtime and size): the image shells are stale.
cat $UK/hello /dev/null >$DIR/hello.new
printf '\0' >>$DIR/hello.new
mv $DIR/hello.new $DIR/hello
create ip-3 "$HOLD" pool
grep -q 'image pool img: the kernel .* changed since the shell loaded it' $LOG ||
    fail_log "no word of the stale image in chaosd's log"
wait_for 60 pools_full || fail_log "the image pool was not rebuilt: $(chaos pool)"
create ip-4 "$HOLD" image
echo "ok: a rewritten kernel was not started from stale shells; the pool was rebuilt from the new file"

# Any command line: each guest reads its own (the shell was built with
# room for 1023 bytes, written over before the guest first ran).
TYPE=pvh KERNEL=$DIR/hello-any create ip-5 "sleep_ms=bad-ip-5" image
# (the whole line: nothing of the room's placeholder after it)
wait_for 30 "tr -d '\r' <$(log_of ip-5) | grep -q 'hello: bad command line: sleep_ms=bad-ip-5\$'" ||
    fail_log "ip-5 did not run with its own command line: $(cat "$(log_of ip-5)")"
wait_for 30 "! chaos domid ip-5 >/dev/null 2>&1" || fail_log "ip-5 did not end (exit 2)"
wait_for 60 pools_full || fail_log "the any pool did not refill: $(chaos pool)"
TYPE=pvh KERNEL=$DIR/hello-any create ip-6 "$HOLD" image
sleep 1
grep -q 'bad command line' "$(log_of ip-6)" && fail_log "ip-6: $(cat "$(log_of ip-6)")"
chaos domid ip-6 >/dev/null || fail_log "ip-6 is not running with sleep_ms=600000"
grep -q 'created ip-6 .* from image pool any' $LOG || fail_log "ip-6: chaosd's log does not say image pool any"
echo "ok: cmdline_per_request: two creates with their own command lines, each guest ran with its own"

grep -q 'created ip-1 .* from image pool img .*, its supervisor prepared ahead' $LOG ||
    fail_log "ip-1: no supervisor was prepared with its shell"
if grep -E 'not prepared ahead|prepared supervisor did not begin' $LOG; then
    fail_log "an image shell's supervisor was not prepared, or did not begin"
fi
echo "ok: every image guest was served by the supervisor prepared with its shell"

for g in ip-1 ip-2 ip-3 ip-4 ip-6; do chaos destroy $g || fail_log "destroy $g"; done
kill -TERM $PID
wait $PID
st=$?
[ $st = 0 ] || fail_log "chaosd exited with $st on SIGTERM"
for g in ip-1 ip-2 ip-3 ip-4 ip-5 ip-6; do rm -f "$(log_of $g)"; done
expect_nothing_left
[ "$(locks)" = "$LOCKS" ] || fail "supervisors' lock files left: $(locks) (before: $LOCKS)"
echo "ok: SIGTERM destroyed the idle image shells; nothing left (domains, memory, lock files)"

# SIGKILL with the pools full: the next chaosd (no flavors) destroys the
# shells, and with them what their prepared supervisors kept in RUNDIR.
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 180 pools_full || fail_log "the pools did not fill again"
kill -KILL $PID
wait $PID 2>/dev/null
[ "$(server_files)" != "$FILES" ] || fail "the killed chaosd's shells kept no files: the check below proves nothing"
printf 'idle_memory_mib = 64\n' >$DIR/none.conf
chaosd --config $DIR/none.conf >$LOG 2>&1 &
PID=$!
wait_for 60 "grep -q 'chaosd: ready' $LOG" || fail_log "chaosd not ready"
grep -q 'recovered: .* 4 idle shells' $LOG || fail_log "the killed chaosd's 4 shells were not recovered"
kill -TERM $PID
wait $PID || fail_log "chaosd exited with $? on SIGTERM"
rm -rf $DIR
expect_nothing_left
[ "$(server_files)" = "$FILES" ] ||
    fail "a killed chaosd's shells left files: $(server_files) (before: $FILES)"
echo "ok: SIGKILL with full pools: the next chaosd destroyed the 4 shells and their supervisors' files (locks, sockets, device records)"
