#!/bin/sh
# chaos-oci under Debian's containerd (issue 15 §2): containerd 1.6 of
# Debian 12 in dom0 (the lab's optional package set, read over 9p:
# containerd.sh), configured as docs/oci.md says; `ctr run` through
# containerd's stock runc shim (io.containerd.runc.v2) with chaos-oci as
# its runc binary (--runc-binary, --runc-root: the configuration's
# BinaryName and Root), on a root file system of static BusyBox (--rootfs:
# no image, no registry):
#  - the program's output on ctr's stdout, its exit status ctr's (0, 7);
#  - a long-running one: `ctr task ls` shows it RUNNING, `ctr task kill`
#    (TERM) ends it, ctr run's status 143;
#  - one that ignores TERM (detached, output through --log-uri): still
#    RUNNING after `ctr task kill`, `ctr task kill -s KILL` ends it
#    (STOPPED, exit code 137 reported by `ctr task rm`);
#  - bind mounts (--mount): a read-only folder and a read-write file, as
#    Kubernetes adds them, seen by the program (the folder read-only);
#  - a bundle chaos-oci refuses (a read-write bind mount of a folder):
#    ctr run fails with chaos-oci's message (through the shim's log.json);
#  - with chaosd running and a pool of the guests' shape: ctr run's guest
#    from a shell (chaosd's log), output and exit status (5) as without;
#  - after `ctr container rm`: no domain, no memory, nothing under
#    chaos-oci's --root, no bundle, no shim; then containerd stops.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
# shellcheck source=containerd.sh
. /lab/tests/containerd.sh

W=/tmp/oci-ctr
RFS=$W/rootfs
rm -rf "$W"
mkdir -p "$W"
trap 'ctr_stop; rm -rf "$W"' EXIT
snapshot
busybox_rootfs "$RFS"
ctr_start
echo "ok: containerd $(ctr version 2>/dev/null | sed -n 's/^ *Version: *//p' | tail -n 1) answers"
# What containerd made of docs/oci.md's configuration (the CRI plugin is
# not used by ctr; shown for the record).
ctr plugins ls 2>/dev/null | grep -E 'grpc.v1 +cri|runtime.v2 +task' | sed 's/^/    /'
grep 'failed to load plugin io.containerd.grpc.v1.cri' "$CTR_DIR/containerd.log" |
    sed 's/^.*error=/    why: /' | head -n 1
grep -q 'invalid plugin config' "$CTR_DIR/containerd.log" &&
    fail "containerd refused the configuration: $(grep 'invalid plugin config' "$CTR_DIR/containerd.log")"

# crun ID [CTR-RUN-OPTION...] -- ARGS: `ctr run` of ARGS with chaos-oci.
crun() {
    id=$1
    shift
    opts=
    while [ "$1" != -- ]; do opts="$opts $1"; shift; done
    shift
    # shellcheck disable=SC2086 # options: words
    ctr run --runtime io.containerd.runc.v2 --runc-binary "$OCI_BIN" \
        --runc-root /run/containerd/chaos-oci $opts --rootfs "$RFS" "$id" "$@"
}
task_status() { ctr task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }

# ------------------------------------------------------------ output, 0
# shellcheck disable=SC2016 # expanded by the guest's sh
out=$(crun hello -- sh -c 'echo hello from $(hostname)' </dev/null 2>"$W/hello.err")
rc=$?
[ "$rc" = 0 ] || fail "hello: ctr run exited $rc: $(cat "$W/hello.err")"
[ "$out" = "hello from hello" ] ||
    fail "hello: ctr's stdout is not 'hello from hello': $(echo "$out" | od -c | head)"
echo "ok: ctr run printed '$out', exit status 0"
[ -z "$(task_status hello)" ] || fail "hello: ctr run left its task"
ctr container ls -q | grep -qx hello || fail "hello: no container after ctr run"
ctr container rm hello || fail "ctr container rm hello"

# ------------------------------------------------------------ status 7
out=$(crun seven -- sh -c 'echo seven; exit 7' </dev/null 2>"$W/seven.err")
rc=$?
[ "$rc" = 7 ] || fail "seven: ctr run exited $rc, want 7: $(cat "$W/seven.err")"
[ "$out" = seven ] || fail "seven: stdout '$out'"
echo "ok: ctr run exited 7 with the program"
ctr container rm seven || fail "ctr container rm seven"

# ------------------------------------------------------------ TERM
crun term --rm -- sh -c 'echo started; exec sleep 600' </dev/null >"$W/term.out" 2>&1 &
term_pid=$!
wait_for 300 "grep -q started $W/term.out" || fail "term: not started: $(cat "$W/term.out")"
[ "$(task_status term)" = RUNNING ] || fail "term: ctr task ls: $(ctr task ls)"
echo "ok: ctr task ls shows term RUNNING"
ctr task kill term || fail "ctr task kill term"
wait_for 120 "! kill -0 $term_pid 2>/dev/null" || fail "term: ctr run still runs 120 s after TERM"
wait "$term_pid"
rc=$?
[ "$rc" = 143 ] || fail "term: ctr run exited $rc, want 143: $(cat "$W/term.out")"
echo "ok: ctr task kill (TERM) ended it; ctr run exited 143"
ctr container ls -q | grep -qx term && fail "term: ctr run --rm left the container"

# ------------------------------------------------------------ TERM, KILL
crun hard -d --log-uri "file://$W/hard.log" -- \
    sh -c 'trap "" TERM; echo started; while :; do sleep 1; done' </dev/null ||
    fail "hard: ctr run -d failed"
wait_for 300 "grep -q started $W/hard.log 2>/dev/null" ||
    fail "hard: not started: $(cat "$W/hard.log")"
ctr task kill hard || fail "ctr task kill hard"
sleep 5
[ "$(task_status hard)" = RUNNING ] ||
    fail "hard: a program ignoring TERM is $(task_status hard) after ctr task kill"
echo "ok: hard ignores TERM: RUNNING 5 s after ctr task kill"
ctr task kill -s KILL hard || fail "ctr task kill -s KILL hard"
wait_for 60 "[ \"\$(task_status hard)\" = STOPPED ]" ||
    fail "hard: $(task_status hard) 60 s after KILL"
echo "ok: ctr task ls shows hard STOPPED after KILL"
ctr task rm hard 2>"$W/hard.rm" || fail "ctr task rm hard: $(cat "$W/hard.rm")"
grep -q 'exit code 137' "$W/hard.rm" || fail "hard: not exit code 137: $(cat "$W/hard.rm")"
ctr container rm hard || fail "ctr container rm hard"
echo "ok: exit code 137"

# ------------------------------------------------------------ bind mounts
# What Kubernetes adds (/etc/hosts, read-only volumes), through ctr's
# --mount: copies in the guest, mounted before the program runs.
mkdir -p "$W/conf"
echo "k=v" >"$W/conf/a.conf"
echo "127.0.0.1 lab" >"$W/hosts"
# shellcheck disable=SC2016 # expanded by the guest's sh
out=$(crun binds --rm --mount "type=bind,src=$W/conf,dst=/etc/conf,options=rbind:ro" \
    --mount "type=bind,src=$W/hosts,dst=/etc/hosts,options=rbind:rw" -- \
    sh -c 'cat /etc/conf/a.conf /etc/hosts; if echo x 2>/dev/null >/etc/conf/b; then echo rw; else echo ro; fi' \
    </dev/null 2>"$W/binds.err")
rc=$?
[ "$rc" = 0 ] || fail "binds: ctr run exited $rc: $(cat "$W/binds.err") $out"
[ "$out" = "k=v
127.0.0.1 lab
ro" ] || fail "binds: the guest saw: $out"
echo "ok: bind mounts: a read-only folder and a file, seen by the program: $(echo "$out" | tr '\n' '|')"

# ------------------------------------------------------------ refused
out=$(crun bad --rm --mount "type=bind,src=$W,dst=/host,options=rbind:rw" -- true </dev/null 2>&1) &&
    fail "bad: a read-write bind mount of a folder was accepted: $out"
echo "$out" | grep -q 'bind mount' || fail "bad: ctr does not say why: $out"
echo "ok: refused: $out"

# ------------------------------------------------------------ chaosd's pool
# chaosd runs with a pool of the guests' shape (PV, 128 MiB, 1 vCPU):
# ctr run's guest comes from a shell (chaosd's log says so), its output
# and exit status as without chaosd.
oci_chaosd "$W"
wait_for 300 oci_pool_full || fail "chaosd's pool did not fill: $(tail -n 5 "$W/chaosd.log")"
# shellcheck disable=SC2016 # expanded by the guest's sh
out=$(crun pooled --rm -- sh -c 'echo pooled in $(hostname); exit 5' </dev/null 2>"$W/pooled.err")
rc=$?
[ "$rc" = 5 ] || fail "pooled: ctr run exited $rc, want 5: $(cat "$W/pooled.err")"
[ "$out" = "pooled in pooled" ] || fail "pooled: ctr's stdout: $out"
grep -q 'created oci-pooled (.*) from pool oci' "$W/chaosd.log" ||
    fail "pooled: not from chaosd's pool: $(tail -n 5 "$W/chaosd.log")"
echo "ok: with chaosd: ctr run's guest from its pool printed '$out', exit status 5"
kill -TERM "$DPID"
wait "$DPID" || fail "chaosd exited with $? on SIGTERM"

# ------------------------------------------------------------ nothing left
[ -z "$(ctr container ls -q)" ] || fail "containers left: $(ctr container ls)"
expect_nothing_left
[ -z "$(ls -A "$OCI_ROOT" 2>/dev/null)" ] || fail "left under $OCI_ROOT: $(ls "$OCI_ROOT")"
B=/run/containerd/io.containerd.runtime.v2.task/default
[ -z "$(ls -A "$B" 2>/dev/null)" ] || fail "bundles left in $B: $(ls "$B")"
# shellcheck disable=SC2016 # evaluated by wait_for
wait_for 30 '[ -z "$(shim_pids)" ]' || fail "shims left: $(shim_pids)"
echo "ok: nothing left (domains, memory, $OCI_ROOT, bundles, shims)"
ctr_stop
