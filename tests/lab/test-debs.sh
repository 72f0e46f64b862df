#!/bin/sh
# The Debian packages (tools/build-debs) in a dom0 booted with them
# (chaos-lab --debs DIR --file chaos-example, as tools/run-tests does):
# every file where the packages put it; the example program, built on the
# host against libchaos-dev with pkg-config alone, lists the domains and
# creates the unikernel hello from the packaged image; chaosd starts from
# /usr/sbin as the packaged chaosd.service says, with the packaged
# /etc/chaos/chaosd.conf, maps the packaged libchaos, and `chaos create`
# goes through it.  Nothing is left.  Skipped in a dom0 with `make install`.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
if [ ! -x /usr/sbin/chaos ] || [ -e /usr/local/sbin/chaos ]; then
    echo "SKIP: dom0 was not booted with the packages (chaos-lab --debs DIR)"
    exit 77
fi
snapshot
LIB=/usr/lib/x86_64-linux-gnu
UK=/usr/libexec/chaos/unikernel
UNIT=/lib/systemd/system/chaosd.service
EXAMPLE=/lab/share/files/chaos-example
LOG=/tmp/debs-chaosd.log

# ---- files: one of each package's kinds
for f in /usr/sbin/chaos /usr/bin/tinyx /usr/share/chaos/tinyx/init.sh \
         $UK/hello $UK/hello-pv.cfg \
         /usr/sbin/chaosd /etc/chaos/chaosd.conf $UNIT \
         /lib/systemd/system/chaosd.socket \
         $LIB/libchaos.so.0 \
         /usr/include/chaos.h $LIB/libchaos.so $LIB/pkgconfig/libchaos.pc; do
    [ -e "$f" ] || fail "$f is not installed"
done
PC=$LIB/pkgconfig/libchaos.pc
grep -q '^prefix=/usr$' $PC || fail "libchaos.pc: $(grep prefix= $PC)"
# shellcheck disable=SC2016 # ${prefix} is pkg-config's, taken literally
grep -q '^libdir=${prefix}/lib/x86_64-linux-gnu$' $PC || fail "libchaos.pc: $(grep libdir= $PC)"
for unit in $UNIT /lib/systemd/system/chaosd.socket; do
    doc=$(sed -n 's|^Documentation=file://||p' "$unit")
    [ -f "$doc" ] || fail "$unit: its Documentation= file $doc is not installed"
done
echo "ok: the packages' files are in place"

chaos list | grep -q '^Domain-0 ' || fail "chaos list: $(chaos list 2>&1)"
echo "ok: /usr/sbin/chaos lists: $(chaos list | wc -l) lines"

# ---- the example program (libchaos-dev, pkg-config only)
[ -x $EXAMPLE ] || fail "no $EXAMPLE (chaos-lab --file build/debs/chaos-example)"
out=$($EXAMPLE 2>&1) || fail "chaos-example (list): $out"
echo "$out"
echo "$out" | grep -q '^Domain-0 ' || fail "chaos-example did not list Domain-0"
cd $UK || fail "no $UK"
out=$($EXAMPLE hello-pv.cfg name=debs-example 2>&1) || fail "chaos-example (create): $out"
echo "$out"
id=$(echo "$out" | sed -n 's/^created debs-example (id \([0-9]*\))$/\1/p')
[ -n "$id" ] || fail "chaos-example printed no 'created' line"
echo "$out" | grep -q "^debs-example  *$id " || fail "chaos-example's list lacks its guest"
# No supervisor: the guest powers off and stays until destroyed.
reason=$(wait_shutdown "$id" 60) || fail "hello ($id) did not shut down: $(chaos list)"
[ "$reason" = poweroff ] || fail "hello ($id) shut down with reason '$reason'"
chaos destroy debs-example || fail "chaos destroy debs-example"
echo "ok: chaos-example created hello ($id) from $UK; it powered off"

# ---- chaosd as the packaged unit starts it
START=$(sed -n 's/^ExecStart=//p' $UNIT)
[ "$START" = "/usr/sbin/chaosd --config /etc/chaos/chaosd.conf" ] ||
    fail "unexpected ExecStart in $UNIT: $START"
fail_log() { echo "--- chaosd log:"; tail -n 40 $LOG; fail "$*"; }
$START >$LOG 2>&1 &
PID=$!
wait_for 120 "grep -q 'ready (' $LOG" || fail_log "chaosd not ready in 120 s: $(chaos pool 2>&1)"
grep -q " $LIB/libchaos.so.0" /proc/$PID/maps ||
    fail_log "chaosd does not map $LIB/libchaos.so.0: $(grep libchaos /proc/$PID/maps)"
echo "ok: $START: ready, with $LIB/libchaos.so.0"
out=$(chaos create hello-pv.cfg name=debs-hello) || fail_log "chaos create: $out"
echo "$out"
echo "$out" | grep -q 'from the pool' || fail_log "not created through chaosd's pool: $out"
id=$(domid_of "$out")
# on_poweroff = "destroy": chaosd, its supervisor, destroys it.
wait_for 60 "[ -z \"\$(dom_field $id state)\" ]" ||
    fail_log "chaosd did not destroy the powered-off hello ($id): $(chaos list)"
grep -q 'hello from chaos unikernel' /var/log/chaos/console/debs-hello.log ||
    fail_log "hello's output is not in its console log"
echo "ok: chaos create through chaosd: hello ran, chaosd carried out on_poweroff"
kill -TERM $PID
wait $PID
status=$?
[ "$status" = 0 ] || fail_log "chaosd exited with status $status after SIGTERM"
cd /
expect_nothing_left
echo "ok: chaosd stopped; nothing left"
