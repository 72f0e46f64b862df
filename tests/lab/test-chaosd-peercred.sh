#!/bin/sh
# chaosd checks who asks (SO_PEERCRED): with a socket anyone may connect
# to, an unprivileged user (uid 65534) may list, ping and read the pools,
# but its destroy, shutdown, create and pool-resize requests are refused
# with "forbidden" (chaosd logs each refusal with uid, pid and op) and
# the guest keeps running; a member of admin_group (a supplementary group
# of its user, known to chaosd through getgrouplist) may change guests.
# `chaos` reports a refusal on stderr and exits 1.  Nothing is left.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
CHAOSD=/usr/local/sbin/chaosd
UK=/usr/local/libexec/chaos/unikernel
RAW=/lab/bin/lab-chaosd-create
CONF=/tmp/chaosd-peer.conf
LOG=/tmp/chaosd-peer.log
SOCK=/run/chaos/chaosd.sock
PID=

# Users for su(1): dom0 has no passwd or group files of its own; the ones
# written here are put back (or removed) at the end.
for f in passwd group; do
    [ -e /etc/$f ] && cp /etc/$f /tmp/peer-$f.orig
done
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID"
    for f in passwd group; do
        if [ -e /tmp/peer-$f.orig ]; then mv /tmp/peer-$f.orig /etc/$f; else rm -f /etc/$f; fi
    done
}
trap cleanup EXIT
cat >>/etc/passwd <<EOF
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
labop:x:4242:4242:lab operator:/nonexistent:/bin/sh
EOF
cat >>/etc/group <<EOF
root:x:0:
nogroup:x:65534:
labop:x:4242:
chaoslab:x:4343:labop
EOF

cat >$CONF <<EOF
socket = "$SOCK"
admin_group = "chaoslab"
idle_memory_mib = 16
[flavor unikernel-pv]
type = "pv"
memory = 4
pool = 1
EOF
fail_log() { echo "--- chaosd log:"; tail -n 30 $LOG; fail "$*"; }
# as USER CMD: runs the shell command CMD as USER (su as root asks no
# password); prints its stdout and stderr.
as() { su -s /bin/sh "$1" -c "$2" 2>&1; }
# raw USER LINE: one request as USER, chaosd's reply line.
raw() { as "$1" "printf '%s\n' '$2' | $RAW --raw 1 $SOCK"; }
pool_col() { chaos pool 2>/dev/null | awk -v c="$1" '$1 == "unikernel-pv" { print $c }'; }
pool_idle() { pool_col 6; }
running() { st=$(dom_field "$1" state); [ "$st" = running ] || [ "$st" = blocked ]; }

$CHAOSD --config $CONF >$LOG 2>&1 &
PID=$!
wait_for 120 "[ \"\$(pool_idle)\" = 1 ]" || fail_log "the pool did not fill: $(chaos pool 2>&1)"
# chaosd binds its socket 0660: let anyone connect, so that only the
# peer check stands between uid 65534 and the guests.
chmod 0755 /run/chaos
chmod 0666 $SOCK
out=$(chaos create --daemon "$UK/echo-pv.cfg" kernel=$UK/echo name=peer-echo) ||
    fail_log "root's create: $out"
id=$(domid_of "$out")
running "$id" || fail_log "peer-echo ($id) is not running: $(chaos list)"
echo "ok: root created peer-echo ($id) through chaosd"

# ---- uid 65534: reading is open
[ "$(as nobody 'id -u')" = 65534 ] || fail "su nobody does not run as uid 65534: $(as nobody id)"
out=$(raw nobody '{"v":1,"op":"list"}')
echo "$out" | grep -q '"ok":true' || fail_log "nobody's list: $out"
echo "$out" | tr -d ' ' | grep -q "\"domid\":$id,\"name\":\"peer-echo\"" ||
    fail_log "nobody's list lacks peer-echo: $out"
echo "$out" | grep -q '"memory_mib":[0-9]' || fail_log "list's domain objects lack memory_mib: $out"
out=$(raw nobody '{"v":1,"op":"ping"}')
echo "$out" | grep -q '"ok":true' || fail_log "nobody's ping: $out"
out=$(as nobody "chaos pool") || fail_log "nobody's chaos pool: $out"
echo "$out" | grep -q '^unikernel-pv ' || fail_log "nobody's chaos pool: $out"
echo "ok: uid 65534 may list, ping and read the pools"

# ---- uid 65534: changing is forbidden, and logged
for req in '{"v":1,"op":"destroy","domain":"peer-echo"}' \
           '{"v":1,"op":"shutdown","domain":"peer-echo"}' \
           "{\"v\":1,\"op\":\"create\",\"path\":\"$UK/echo-pv.cfg\",\"overrides\":[\"kernel=$UK/echo\"]}" \
           '{"v":1,"op":"pool-resize","flavor":"unikernel-pv","size":0}'; do
    op=$(echo "$req" | sed 's/.*"op":"\([a-z-]*\)".*/\1/')
    out=$(raw nobody "$req")
    echo "$out" | grep -q "\"ok\":false.*\"code\":\"forbidden\",\"error\":\"$op is forbidden" ||
        fail_log "nobody's $op was not refused: $out"
    grep -q "refused $op from uid 65534 pid [0-9]*" $LOG || fail_log "no log of the refused $op"
done
echo "ok: uid 65534's destroy, shutdown, create, pool-resize: forbidden, logged"
out=$(as nobody "chaos pool set unikernel-pv 0; echo status=\$?")
echo "$out"
echo "$out" | grep -q '^chaos: pool: pool-resize is forbidden' || fail_log "chaos pool set as nobody: $out"
echo "$out" | grep -q '^status=1$' || fail_log "chaos pool set as nobody did not exit 1: $out"
out=$(as nobody "cd $UK && chaos create --daemon echo-pv.cfg kernel=$UK/echo name=peer-no; echo status=\$?")
echo "$out"
echo "$out" | grep -q '^chaos: create: create is forbidden' || fail_log "chaos create as nobody: $out"
echo "$out" | grep -q '^status=1$' || fail_log "chaos create as nobody did not exit 1: $out"
running "$id" || fail_log "peer-echo ($id) is no longer running: $(chaos list)"
! chaos list | grep -q peer-no || fail_log "nobody's create went through: $(chaos list)"
[ "$(pool_col 5)" = 1 ] || fail_log "nobody's pool set went through: $(chaos pool)"
echo "ok: chaos reports the refusals and exits 1; peer-echo still runs, the pool is unchanged"

# ---- a member of admin_group (supplementary): allowed
[ "$(as labop 'id -G' | tr ' ' '\n' | grep -c '^4343$')" = 1 ] ||
    fail "su labop lacks the group chaoslab: $(as labop id)"
out=$(as labop "chaos pool set unikernel-pv 2") || fail_log "labop's pool set: $out"
echo "$out" | grep -q '^unikernel-pv  *pv  *4  *1  *2 ' || fail_log "labop's pool set: $out"
out=$(raw labop '{"v":1,"op":"destroy","domain":"peer-echo"}')
echo "$out" | grep -q '"ok":true' || fail_log "labop's destroy: $out"
wait_for 30 "[ -z \"\$(dom_field $id state)\" ]" || fail_log "peer-echo not destroyed: $(chaos list)"
# Destroyed through its supervisor: its lock file went with it.
[ -z "$(ls /run/chaos/supervisors 2>/dev/null)" ] ||
    fail_log "a supervisor's lock is left: $(ls -l /run/chaos/supervisors)"
grep -q 'refused .* from uid 4242' $LOG && fail_log "labop was refused something"
echo "ok: a member of admin_group may resize pools and destroy guests"

kill -TERM "$PID"
wait "$PID"
status=$?
PID=
[ "$status" = 0 ] || fail_log "chaosd exited with status $status after SIGTERM"
expect_nothing_left
echo "nothing left behind"
