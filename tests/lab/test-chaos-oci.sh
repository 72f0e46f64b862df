#!/bin/sh
# chaos-oci (issue 15 §1), the OCI runtime, as containerd's runc shim would
# drive it: a BusyBox bundle (dom0's static BusyBox as its root file
# system), Debian's kernel.  lab-oci-reaper plays the shim: a subreaper
# that runs `chaos-oci create` and gets the keeper's exit status.
#  - `echo hello`: created (paused) -> start -> running -> the output on
#    the keeper's stdout, exit status 0 -> stopped -> delete leaves nothing;
#  - `sh -c 'exit 7'`: exit status 7;
#  - process.terminal: the terminal through --console-socket, typed input
#    read by the program, its exit status;
#  - a long sleep: `kill ID TERM` ends it (the program gets TERM: 143);
#    another: `kill ID KILL` destroys it (137);
#  - `delete` of a created container, `delete --force` of a running one;
#  - bad bundles (no rootfs, no args, unknown ociVersion, a bind mount)
#    refused by create, with a JSON error in --log, leaving nothing.
# After all: the same domains and free memory, and the same files under
# chaos's run folder and chaos-oci's --root as before.
# shellcheck source=lib.sh
. /lab/tests/lib.sh

command -v chaos-oci >/dev/null || fail "chaos-oci is not installed"
export CHAOS_OCI_KERNEL=/lab/guest/vmlinuz
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
    for a in sh echo sleep cat; do ln -sf busybox "$1/rootfs/bin/$a"; done
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
# go to $W/ID.out and .err.
create() {
    c=$1
    shift
    lab-oci-reaper "$W/$c.status" chaos-oci --root "$ROOT" --log "$LOG" \
        create --bundle "$W/$c" --pid-file "$W/$c.pid" "$@" "$c" \
        >"$W/$c.out" 2>"$W/$c.err" </dev/null &
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
bundle "$W/seven" '[ "sh", "-c", "exit 7" ]'
create seven
oci start seven || fail "start seven"
rc=$(exit_of seven 300)
[ "$rc" = 7 ] || fail "seven: exit status $rc, want 7"
echo "ok: seven exited 7"
delete seven

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
for sig in TERM KILL; do
    id=sleep-$sig
    bundle "$W/$id" '[ "sh", "-c", "echo started; exec sleep 600" ]'
    create "$id"
    oci start "$id" || fail "start $id"
    expect_status "$id" running
    wait_for 300 "grep -q started $W/$id.out" ||
        fail "$id: the program did not start: $(cat "$W/$id.out")"
    # The program runs: the kernel's shutdown handler is ready.
    oci kill "$id" "$sig" || fail "kill $id $sig: $(tail -n 1 "$LOG")"
    rc=$(exit_of "$id" 120)
    case $sig in TERM) want=143 ;; KILL) want=137 ;; esac
    [ "$rc" = "$want" ] || fail "$id: exit status $rc, want $want: $(cat "$W/$id.out")"
    echo "ok: $id ended by kill $sig, exit status $rc"
    expect_status "$id" stopped
    oci kill "$id" KILL 2>/dev/null && fail "kill of a stopped container accepted"
    delete "$id"
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

# ------------------------------------------------------------ nothing left
expect_nothing_left
[ "$(files)" = "$FILES" ] || fail "files left: before [$FILES] after [$(files)]"
rm -rf "$W" "$ROOT" "$LOG"
echo "ok: nothing left (domains, memory, files)"
