#!/bin/sh
# chaos-oci (issue 15 §1), the OCI runtime, as containerd's runc shim would
# drive it: a BusyBox bundle (dom0's static BusyBox as its root file
# system), Debian's kernel.  lab-oci-reaper plays the shim: a subreaper
# that runs `chaos-oci create` and gets the keeper's exit status.
#  - `echo hello`: created (paused) -> start -> running -> the output on
#    the keeper's stdout, exit status 0 -> stopped -> delete leaves nothing;
#  - `sh -c 'exit 7'`: exit status 7;
#  - stdin without a terminal, a pipe in the guest (tinyx-stdin): `echo hi
#    | cat` prints exactly "hi\n"; `printf 'a\nb' | wc -c` prints 3; every
#    byte value (^C, ^D, NUL, ^Z, ^O, 0xff, CR) through md5sum and od
#    unchanged; a script read by sh from stdin (not a tty) with its exit
#    status; stdin from /dev/null: cat ends at once with 0;
#  - process.terminal: the terminal through --console-socket, typed input
#    read by the program, its exit status;
#  - a long sleep: `kill ID TERM` ends it (the program gets TERM: 143);
#    another: `kill ID KILL` destroys it (137);
#  - `delete` of a created container, `delete --force` of a running one;
#  - bad bundles (no rootfs, no args, unknown ociVersion, a bind mount)
#    refused by create, with a JSON error in --log, leaving nothing;
#  - with chaosd running and a pool of the guests' shape: the guest comes
#    from a shell (state's org.chaos.path "pool"), the keeper follows it
#    through chaosd: output, exit status 0 and 7, kill TERM (143) and
#    KILL (137), delete of a created one; stdin (hi, wc, every byte
#    value, /dev/null) as above; org.chaos.direct builds it
#    here; a guest chaosd cannot build fails create with chaosd's reason;
#    chaosd's descriptors and chaos's files as before; chaosd stopped and
#    started again under a running container: the keeper follows the new
#    chaosd and the container ends (TERM if the new chaosd carries it
#    out, else KILL) with the right status.
# After all: the same domains and free memory, and the same files under
# chaos's run folder and chaos-oci's --root as before.
# shellcheck source=lib.sh
. /lab/tests/lib.sh

command -v chaos-oci >/dev/null || fail "chaos-oci is not installed"
# OCI_TEST_KERNEL: another kernel for the whole test (e.g. tinyx's
# tinyconfig one, handed in with chaos-lab --file); Debian's by default.
export CHAOS_OCI_KERNEL="${OCI_TEST_KERNEL:-/lab/guest/vmlinuz}"
ROOT=/run/chaos-oci-test
LOG=/tmp/oci-test.log
W=/tmp/oci-test
rm -rf "$W" "$LOG"
mkdir -p "$W"

oci() { chaos-oci --root "$ROOT" --log "$LOG" --log-format json "$@"; }
status_of() { oci state "$1" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'; }
expect_status() {
    s=$(status_of "$1")
    [ "$s" = "$2" ] || fail "$1: status '$s', want '$2': $(oci state "$1" 2>&1)"
    echo "ok: $1 is $2"
}
# Files, not folders: the first guest of a boot makes chaos's folders.
files() { find /run/chaos "$ROOT" ! -type d 2>/dev/null | sort; }

# bundle DIR ARGS-JSON [EXTRA-JSON]: a BusyBox bundle running ARGS.
bundle() {
    mkdir -p "$1/rootfs/bin"
    cp /bin/busybox "$1/rootfs/bin/busybox"
    for a in sh echo sleep cat wc md5sum od; do ln -sf busybox "$1/rootfs/bin/$a"; done
    cat >"$1/config.json" <<END
{ "ociVersion": "1.0.2-dev",
  "root": { "path": "rootfs" },
  "process": { "terminal": false, "user": { "uid": 0, "gid": 0 },
               "args": $2, "env": [ "PATH=/bin", "GREETING=hi" ], "cwd": "/" },
  "mounts": [ { "destination": "/proc", "type": "proc", "source": "proc" } ],
  "linux": { "namespaces": [ { "type": "pid" } ] }${3:+,
  $3} }
END
}

# create ID [OPTION...]: `chaos-oci create [OPTION...] ID` under the
# reaper, in the background; waits for create's own status and checks it
# is 0 and the pid file is the keeper's.  The keeper's stdout and stderr
# go to $W/ID.out and .err; its stdin (the container's) is a pipe from
# the command IN_CMD when set, else /dev/null.
IN_CMD=
reap() {
    c=$1
    shift
    lab-oci-reaper "$W/$c.status" chaos-oci --root "$ROOT" --log "$LOG" \
        create --bundle "$W/$c" --pid-file "$W/$c.pid" "$@" "$c" \
        >"$W/$c.out" 2>"$W/$c.err"
}
create() {
    c=$1
    if [ -n "$IN_CMD" ]; then
        sh -c "$IN_CMD" | reap "$@" &
    else
        reap "$@" </dev/null &
    fi
    wait_for 300 "grep -q '^create' $W/$c.status 2>/dev/null" ||
        fail "$c: create did not finish in 300 s"
    rc=$(sed -n 's/^create //p' "$W/$c.status")
    [ "$rc" = 0 ] || fail "$c: create exited $rc: $(cat "$W/$c.err")"
    pid=$(cat "$W/$c.pid")
    kill -0 "$pid" || fail "$c: the keeper ($pid) does not run"
    oci state "$c" | grep -q "\"pid\": *$pid" ||
        fail "$c: state's pid is not the pid file's ($pid): $(oci state "$c")"
    echo "ok: $c created, keeper $pid"
}

# exit_of ID SECONDS: waits for the keeper's exit status; prints it.
exit_of() {
    wait_for "$2" "grep -q '^exit' $W/$1.status" ||
        fail "$1: the keeper did not end in $2 s: $(tail -n 5 "$W/$1.out")"
    sed -n 's/^exit [0-9]* //p' "$W/$1.status"
}

delete() {
    oci delete "$@" || fail "delete $*: $(tail -n 1 "$LOG")"
    id=$(eval echo "\${$#}")
    [ ! -e "$ROOT/$id" ] || fail "delete $id: $ROOT/$id is still there"
    oci state "$id" 2>/dev/null && fail "delete $id: state still answers"
    echo "ok: $id deleted"
}

mkdir -p "$ROOT"
snapshot
FILES=$(files)

# ------------------------------------------------------------ echo hello
# shellcheck disable=SC2016 # expanded by the guest's sh
bundle "$W/hello" '[ "sh", "-c", "echo hello from $GREETING in $(pwd)" ]'
create hello
expect_status hello created
oci start hello || fail "start hello: $(tail -n 1 "$LOG")"
rc=$(exit_of hello 300)
[ "$rc" = 0 ] || fail "hello: exit status $rc, want 0: $(cat "$W/hello.out")"
# Exactly the program's output: not /init's status line, not Linux's
# shutdown messages after it, "\n" not the console's "\r\n".
[ "$(cat "$W/hello.out")" = 'hello from hi in /' ] ||
    fail "hello: stdout is not 'hello from hi in /': $(od -c "$W/hello.out" | head)"
[ "$(wc -c <"$W/hello.out")" = 19 ] || fail "hello: stdout is $(wc -c <"$W/hello.out") bytes, want 19"
[ ! -s "$W/hello.err" ] || fail "hello: stderr: $(cat "$W/hello.err")"
echo "ok: hello printed '$(cat "$W/hello.out")', exit status 0"
expect_status hello stopped
oci start hello 2>/dev/null && fail "start of a stopped container accepted"
delete hello

# ------------------------------------------------------------ exit 7
# Its last line has no newline: /init's status line comes in the middle
# of it, and still counts; the output keeps the text.
bundle "$W/seven" '[ "sh", "-c", "printf partial; exit 7" ]'
create seven
oci start seven || fail "start seven"
rc=$(exit_of seven 300)
[ "$rc" = 7 ] || fail "seven: exit status $rc, want 7: $(od -c "$W/seven.out" | head)"
if [ "$(cat "$W/seven.out")" != partial ] || [ "$(wc -c <"$W/seven.out")" != 7 ]; then
    fail "seven: stdout is not 'partial' without a newline: $(od -c "$W/seven.out" | head)"
fi
echo "ok: seven printed 'partial' (no newline) and exited 7"
delete seven

# ------------------------------------------------------------ stdin
# Without a terminal the program's stdin is a pipe in the guest
# (tinyx-stdin decodes what the keeper sends framed on the console): the
# bytes of the container's stdin exactly, then end of file.  Sent before
# the guest runs (create, paused): held by the keeper until tinyx-stdin
# says the console is raw.
i=0
while [ "$i" -lt 256 ]; do
    # shellcheck disable=SC2059 # the format is the byte
    printf "\\$(printf %03o "$i")"
    i=$((i + 1))
done >"$W/bytes"
printf '\003\004\000\032\377\377\017\017\r\n\r' >>"$W/bytes"
# The guest's md5sum and od are this BusyBox (the bundles' own).
{ /bin/busybox md5sum <"$W/bytes" && /bin/busybox od -An -tx1 -v <"$W/bytes"; } \
    >"$W/bytes.want" || fail "dom0's BusyBox lacks md5sum or od"
printf 'hi\n' >"$W/hi.want"
printf '3\n' >"$W/wc.want"
printf 'one\n' >"$W/script.want"
: >"$W/null.want"
# stdin_case ID ARGS-JSON IN-CMD WANT RC [FAIL]: the container's stdin is
# what IN-CMD prints ("": /dev/null); its stdout must be the file
# $W/WANT.want byte for byte, its exit status RC; FAIL reports.
stdin_case() {
    id=$1 args=$2 want=$4 wantrc=$5 f=${6:-fail}
    bundle "$W/$id" "$args"
    IN_CMD=$3
    create "$id"
    IN_CMD=
    oci start "$id" || $f "start $id: $(tail -n 1 "$LOG")"
    rc=$(exit_of "$id" 300)
    [ "$rc" = "$wantrc" ] ||
        $f "$id: exit status $rc, want $wantrc: $(od -c "$W/$id.out" | head)"
    cmp -s "$W/$id.out" "$W/$want.want" ||
        $f "$id: stdout is not $want.want: $(od -c "$W/$id.out" | head -n 20)"
    [ ! -s "$W/$id.err" ] || $f "$id: stderr: $(cat "$W/$id.err")"
    grep -q 'tinyx-stdin is ready' "$ROOT/$id/keeper.log" ||
        $f "$id: the keeper never saw tinyx-stdin ready: $(cat "$ROOT/$id/keeper.log")"
    case $id in
        p-*) grep -q 'served by chaosd' "$ROOT/$id/keeper.log" ||
            $f "$id: the keeper does not follow chaosd: $(cat "$ROOT/$id/keeper.log")" ;;
    esac
    echo "ok: $id: stdout as $want.want ($(wc -c <"$W/$id.out") bytes), exit status $rc"
    delete "$id"
}
# stdin_cases PREFIX [FAIL]: the stdin cases, ids PREFIX-...
stdin_cases() {
    stdin_case "$1-hi" '[ "cat" ]' 'echo hi' hi 0 "$2"
    stdin_case "$1-wc" '[ "wc", "-c" ]' "printf 'a\\nb'" wc 0 "$2"
    stdin_case "$1-bytes" '[ "sh", "-c", "cat >/tmp/in && md5sum </tmp/in && od -An -tx1 -v </tmp/in" ]' \
        "cat $W/bytes" bytes 0 "$2"
    stdin_case "$1-null" '[ "cat" ]' '' null 0 "$2"
}
stdin_cases s
# sh reads its script from stdin, which is no terminal.
stdin_case s-script '[ "sh" ]' \
    "printf '[ -t 0 ] && echo on-a-tty\\necho one\\nexit 5\\necho never\\n'" script 5

# ------------------------------------------------------------ terminal
# process.terminal: the pty's master goes through --console-socket to
# lab-console-socket (as to the shim), which types "abc"; the program reads
# it from its tty (the guest's console, which echoes it).
# shellcheck disable=SC2016 # expanded by the guest's sh
bundle "$W/tty" '[ "sh", "-c", "read x; [ -t 0 ] && echo got $x on a tty; exit 3" ]'
sed -i 's/"terminal": false/"terminal": true/' "$W/tty/config.json"
lab-console-socket "$W/tty.sock" "$W/tty.term" 'abc
' &
term_pid=$!
wait_for 10 "[ -S $W/tty.sock ]" || fail "tty: lab-console-socket did not listen"
create tty --console-socket "$W/tty.sock"
oci start tty || fail "start tty"
rc=$(exit_of tty 300)
wait "$term_pid" || fail "tty: the terminal's reader failed"
[ "$rc" = 3 ] || fail "tty: exit status $rc, want 3: $(od -c "$W/tty.term" | head)"
grep -q 'got abc on a tty' "$W/tty.term" ||
    fail "tty: the terminal lacks 'got abc on a tty': $(od -c "$W/tty.term" | head)"
grep -q 'tinyx: exit status' "$W/tty.term" && fail "tty: /init's status line reached the terminal"
[ ! -s "$W/tty.out" ] || fail "tty: output outside the terminal: $(cat "$W/tty.out")"
echo "ok: tty: the terminal shows '$(tr -d '\r' <"$W/tty.term" | tr '\n' '|')', exit status 3"
delete tty

# ------------------------------------------------------------ TERM, KILL
# ann ID KEY: an annotation of ID's state.
ann() { oci state "$1" | sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p"; }
# expect_path ID PATH [FAIL]: ID's guest was made by PATH (chaos-oci
# itself, or chaosd's pool, image...); FAIL reports (default fail).
expect_path() {
    p=$(ann "$1" org.chaos.path)
    [ "$p" = "$2" ] || ${3:-fail} "$1: org.chaos.path '$p', want '$2': $(oci state "$1")"
    echo "ok: $1 made by path $p"
}
# kill_case ID SIG PATH FAIL: a long-running container (built by
# chaos-oci or from chaosd's pool: PATH as `state` says) ended by kill
# SIG: exit status 143 (TERM) or 137 (KILL), stopped, then deleted; FAIL
# reports (fail, or fail_log with chaosd's log).
kill_case() {
    id=$1 sig=$2 path=$3 f=$4
    bundle "$W/$id" '[ "sh", "-c", "echo started; exec sleep 600" ]'
    create "$id"
    expect_path "$id" "$path" "$f"
    oci start "$id" || $f "start $id"
    expect_status "$id" running
    wait_for 300 "grep -q started $W/$id.out" ||
        $f "$id: the program did not start: $(cat "$W/$id.out")"
    # The program runs: the kernel's shutdown handler is ready.
    oci kill "$id" "$sig" || $f "kill $id $sig: $(tail -n 1 "$LOG")"
    rc=$(exit_of "$id" 120)
    case $sig in TERM) want=143 ;; KILL) want=137 ;; esac
    [ "$rc" = "$want" ] || $f "$id: exit status $rc, want $want: $(cat "$W/$id.out")"
    echo "ok: $id (path $path) ended by kill $sig, exit status $rc"
    expect_status "$id" stopped
    oci kill "$id" KILL 2>/dev/null && $f "kill of a stopped container accepted"
    delete "$id"
}
for sig in TERM KILL; do
    kill_case "sleep-$sig" "$sig" chaos-oci fail
done

# ------------------------------------------------------------ delete
bundle "$W/never" '[ "sleep", "600" ]'
create never
delete never
rc=$(exit_of never 60)
echo "ok: a created container deleted, its keeper exited $rc"
bundle "$W/forced" '[ "sleep", "600" ]'
create forced
oci start forced || fail "start forced"
oci delete forced 2>/dev/null && fail "delete of a running container without --force accepted"
delete --force forced
exit_of forced 60 >/dev/null

# ------------------------------------------------------------ bad bundles
# refused LABEL PATTERN ID: create fails, says PATTERN on stderr and in
# --log (JSON), and leaves nothing.
refused() {
    : >"$LOG"
    out=$(oci create --bundle "$W/$3" --pid-file "$W/$3.pid" "$3" 2>&1) &&
        fail "$1: accepted"
    echo "$out" | grep -q -- "$2" || fail "$1: message lacks '$2': $out"
    grep -q "^{\"level\":\"error\",\"msg\":\".*$2" "$LOG" ||
        fail "$1: no JSON error in --log: $(cat "$LOG")"
    if [ -e "$ROOT/$3" ] || [ -e "$W/$3.pid" ]; then
        fail "$1: state left behind"
    fi
    echo "ok: $1: $out"
}
bundle "$W/norootfs" '[ "true" ]'
rm -rf "$W/norootfs/rootfs"
refused "missing rootfs" "root.path" norootfs
bundle "$W/noargs" '[]'
refused "no args" "process.args" noargs
bundle "$W/version" '[ "true" ]'
sed -i 's/1.0.2-dev/9.0.0/' "$W/version/config.json"
refused "unknown ociVersion" "9.0.0" version
bundle "$W/noterm" '[ "true" ]'
sed -i 's/"terminal": false/"terminal": true/' "$W/noterm/config.json"
refused "a terminal without --console-socket" "console-socket" noterm
bundle "$W/bind" '[ "true" ]' '"hooks": { "prestart": [ { "path": "/bin/true" } ] }'
refused "hooks" "hooks" bind

# ------------------------------------------------------------ chaosd's pools
# chaosd runs (its default socket, as `chaos` finds it) with a pool of the
# guests' shape (PV, 128 MiB, 1 vCPU): create takes a shell, chaosd serves
# the guest and the keeper follows it on chaosd's console socket.
command -v chaosd >/dev/null || fail "chaosd is not installed"
D=$W/chaosd
mkdir -p "$D"
oci_chaosd "$D"
fail_log() { echo "--- chaosd log:"; tail -n 30 "$D/chaosd.log"; fail "$*"; }
wait_for 300 oci_pool_full || fail_log "chaosd's pool did not fill: $(chaos pool 2>&1)"
# chaosd's descriptors and chaos's files with the pool full, before and
# after the containers: what they leave in chaosd is compared.
dfds() { find "/proc/$DPID/fd" -mindepth 1 | wc -l; }
# (The idle shell's record is named by its handle: another after a refill.)
dfiles() { files | grep -v '^/run/chaos/chaosd/shells/'; }
DFDS=$(dfds)
DFILES=$(dfiles)

# shellcheck disable=SC2016 # expanded by the guest's sh
bundle "$W/p-hello" '[ "sh", "-c", "echo hello from $GREETING in $(pwd)" ]'
create p-hello
expect_status p-hello created
expect_path p-hello pool fail_log
[ "$(ann p-hello org.chaos.pool-flavor)" = oci ] || fail "p-hello: flavor: $(oci state p-hello)"
grep -q 'following domain .* served by chaosd' "$ROOT/p-hello/keeper.log" ||
    fail "p-hello: the keeper does not follow chaosd: $(cat "$ROOT/p-hello/keeper.log")"
oci start p-hello || fail "start p-hello: $(tail -n 1 "$LOG")"
rc=$(exit_of p-hello 300)
[ "$rc" = 0 ] || fail_log "p-hello: exit status $rc, want 0: $(cat "$W/p-hello.out")"
[ "$(cat "$W/p-hello.out")" = 'hello from hi in /' ] ||
    fail "p-hello: stdout is not 'hello from hi in /': $(od -c "$W/p-hello.out" | head)"
[ ! -s "$W/p-hello.err" ] || fail "p-hello: stderr: $(cat "$W/p-hello.err")"
echo "ok: p-hello (from chaosd's pool) printed '$(cat "$W/p-hello.out")', exit status 0"
expect_status p-hello stopped
delete p-hello
[ ! -e /var/log/chaos/console/oci-p-hello.log ] || fail "p-hello: chaosd's console log of it is left"

bundle "$W/p-seven" '[ "sh", "-c", "exit 7" ]'
create p-seven
oci start p-seven || fail "start p-seven"
rc=$(exit_of p-seven 300)
[ "$rc" = 7 ] || fail_log "p-seven: exit status $rc, want 7"
echo "ok: p-seven exited 7"
delete p-seven

for sig in TERM KILL; do
    wait_for 300 oci_pool_full || fail_log "the pool did not refill: $(chaos pool 2>&1)"
    kill_case "p-sleep-$sig" "$sig" pool fail_log
done

# stdin through chaosd's console socket (the keeper follows the guest).
wait_for 300 oci_pool_full || fail_log "the pool did not refill: $(chaos pool 2>&1)"
stdin_cases p fail_log

wait_for 300 oci_pool_full || fail_log "the pool did not refill: $(chaos pool 2>&1)"
bundle "$W/p-never" '[ "sleep", "600" ]'
create p-never
expect_path p-never pool fail_log
delete p-never
rc=$(exit_of p-never 60)
echo "ok: a created container from the pool deleted, its keeper exited $rc"

# org.chaos.direct: chaos-oci builds it although chaosd runs.
bundle "$W/p-direct" '[ "sh", "-c", "echo direct" ]' \
    '"annotations": { "org.chaos.direct": "true" }'
create p-direct
expect_path p-direct chaos-oci fail_log
oci start p-direct || fail "start p-direct"
rc=$(exit_of p-direct 300)
{ [ "$rc" = 0 ] && [ "$(cat "$W/p-direct.out")" = direct ]; } ||
    fail "p-direct: exit status $rc, output '$(cat "$W/p-direct.out")'"
echo "ok: org.chaos.direct: built by chaos-oci with chaosd running"
delete p-direct

# A guest chaosd cannot build (more memory than the host has): create
# fails with chaosd's reason and leaves nothing.
bundle "$W/p-huge" '[ "true" ]' '"annotations": { "org.chaos.memory": "8192" }'
refused "chaosd's refusal" "chaosd refused the guest" p-huge
refused "a bad bundle with chaosd running" "process.args" noargs

wait_for 300 oci_pool_full || fail_log "the pool did not refill: $(chaos pool 2>&1)"
wait_for 10 "[ \"\$(dfds)\" = $DFDS ]" ||
    fail_log "chaosd's descriptors: $DFDS before, $(dfds) after: $(ls -l /proc/$DPID/fd)"
[ "$(dfiles)" = "$DFILES" ] || fail_log "files left: before [$DFILES] after [$(dfiles)]"
echo "ok: chaosd's pool: same descriptors in chaosd ($DFDS), same files"

# chaosd stops while a container runs (it leaves running guests alone and
# closes their consoles): the keeper waits, a new chaosd adopts the
# guest, the keeper follows it again (output, end, exit status).
bundle "$W/p-adopt" '[ "sh", "-c", "echo started; trap \"echo bye; exit 3\" TERM; while :; do sleep 1; done" ]'
create p-adopt
oci start p-adopt || fail "start p-adopt"
wait_for 300 "grep -q started $W/p-adopt.out" ||
    fail_log "p-adopt: the program did not start: $(cat "$W/p-adopt.out")"
kill -TERM "$DPID"
wait "$DPID" || fail_log "chaosd exited with $? on SIGTERM"
wait_for 30 "grep -q 'waiting for a chaosd' $ROOT/p-adopt/keeper.log" ||
    fail "p-adopt: the keeper did not notice chaosd stopping: $(cat "$ROOT/p-adopt/keeper.log")"
expect_status p-adopt running
oci_chaosd "$D"
wait_for 60 "grep -q 'following domain .* again' $ROOT/p-adopt/keeper.log" ||
    fail_log "p-adopt: the keeper did not follow the new chaosd: $(cat "$ROOT/p-adopt/keeper.log")"
# (chaosd takes SIGTERM once it has started: it serves the adopted
# guest's console, which the keeper follows, a moment before.)
wait_for 300 oci_pool_full || fail_log "p-adopt: the new chaosd's pool did not fill"
echo "ok: p-adopt: chaosd restarted under a running container; the keeper follows the new one"
# chaosd stops a second time, and a kill TERM is sent while no chaosd
# serves the guest: kill waits (up to 15 s) for the next chaosd, which
# adopts the guest and carries the shutdown out.  The request reaches
# Linux through its private XenStore's watch on control/shutdown, which
# the new chaosd took over from the old one's snapshot (docs/store.md,
# "Handover").  The keeper is held (SIGSTOP) until the guest is gone, so
# that it never follows that chaosd (as when the guest ends before the
# keeper's next look): it takes what it missed, the program's "bye" and
# /init's status line, from the container's console log.
KPID=$(cat "$W/p-adopt.pid")
kill -TERM "$DPID"
wait "$DPID" || fail_log "chaosd exited with $? on SIGTERM"
wait_for 30 "[ \$(grep -c 'waiting for a chaosd' $ROOT/p-adopt/keeper.log) = 2 ]" ||
    fail "p-adopt: the keeper did not notice chaosd's second stop: $(cat "$ROOT/p-adopt/keeper.log")"
kill -STOP "$KPID"
oci kill p-adopt TERM >"$W/p-adopt.kill" 2>&1 &
KILLPID=$!
sleep 1
kill -0 "$KILLPID" 2>/dev/null ||
    fail "p-adopt: kill TERM with no chaosd did not wait: $(cat "$W/p-adopt.kill")"
oci_chaosd "$D"
wait "$KILLPID" ||
    fail_log "p-adopt: kill TERM sent while chaosd was stopped: $(cat "$W/p-adopt.kill")"
wait_for 120 "! chaos list 2>/dev/null | grep -q '^oci-p-adopt '" ||
    fail_log "p-adopt: the guest did not end after kill TERM: $(chaos list 2>&1)"
echo "ok: p-adopt: kill TERM sent with no chaosd, carried out by the next one"
kill -CONT "$KPID"
rc=$(exit_of p-adopt 60)
[ "$rc" = 3 ] || fail_log "p-adopt: exit status $rc after TERM, want 3: $(cat "$W/p-adopt.out") $(cat "$ROOT/p-adopt/keeper.log")"
grep -q 'took .* from the console log .*, with the status line' "$ROOT/p-adopt/keeper.log" ||
    fail "p-adopt: the keeper did not take the status from the log: $(cat "$ROOT/p-adopt/keeper.log")"
echo "ok: p-adopt: the keeper, held until the guest was gone, took its status from the log -> 3"
# (busybox sh may say "Terminated" for the sleep /init's TERM ended.)
{ [ "$(head -n 1 "$W/p-adopt.out")" = started ] &&
    [ "$(tail -n 1 "$W/p-adopt.out")" = bye ] &&
    [ "$(grep -c '^started$' "$W/p-adopt.out")" = 1 ] &&
    [ "$(grep -c '^bye$' "$W/p-adopt.out")" = 1 ]; } ||
    fail "p-adopt: output '$(tr '\n' '|' <"$W/p-adopt.out")': not 'started' first and 'bye' last, once each"
echo "ok: p-adopt: its output once, across both restarts: $(tr '\n' '|' <"$W/p-adopt.out")"
delete p-adopt
wait_for 300 oci_pool_full || fail_log "the pool did not refill: $(chaos pool 2>&1)"
kill -TERM "$DPID"
wait "$DPID" || fail_log "chaosd exited with $? on SIGTERM"

# ------------------------------------------------------------ nothing left
expect_nothing_left
[ "$(files)" = "$FILES" ] || fail "files left: before [$FILES] after [$(files)]"
rm -rf "$W" "$ROOT" "$LOG"
echo "ok: nothing left (domains, memory, files)"
