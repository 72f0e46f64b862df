#!/usr/bin/env bash
# Host-side self-test of tools/lab/chaos-lab: a broken lab must fail with a
# reason and the log path, never hang, and never leave QEMU running.
#   lab-failures.sh BUILD-DIR [chaos-lab options...]
# Prints one line per check and "lab-tool: N passed, N failed".
set -uo pipefail
BUILD=$1
shift
LAB="$(cd "$(dirname "$0")/../.." && pwd)/tools/lab/chaos-lab"
lab() { "$LAB" --build "$BUILD" -q "$@"; }
passed=0 failed=0
check() {  # check NAME CONDITION-RESULT DETAIL
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "PASS: $1"
    else failed=$((failed + 1)); echo "FAIL: $1: $3"; fi
}
qemu_of() { pgrep -f "qemu-system-x86_64.*$1" >/dev/null; }

# 1. A command that fails: its exit status comes back unchanged.
out=$(lab run -- 'echo to-stdout; echo to-stderr >&2; exit 3' 2>&1)
st=$?
[ $st = 3 ] && grep -q to-stdout <<<"$out" && grep -q to-stderr <<<"$out"
check "failing dom0 command returns its status (3) and output" $? "status $st, output: $out"

# 2. A command that hangs: stopped at the timeout with exit 124, the reason
#    and the serial log's path; QEMU gone.
dir="$BUILD/lab-runs/selftest-hang-$$"
out=$(lab --timeout 40 --out "$dir" run -- sleep 100000 2>&1)
st=$?
[ $st = 124 ] && grep -q "timed out after 40 s" <<<"$out" &&
    grep -q "serial log: $dir/serial.log" <<<"$out" && ! qemu_of "$dir"
check "hanging dom0 command times out (124) naming the serial log" $? "status $st, output: $out"

# 3. Ctrl-C (SIGINT) while a run is in progress: QEMU is stopped.  Job
#    control (set -m) starts the run as a terminal would: without it, bash
#    starts background jobs with SIGINT ignored, and it could not be trapped.
dir="$BUILD/lab-runs/selftest-int-$$"
set -m
"$LAB" --build "$BUILD" -q --out "$dir" run -- sleep 100000 >/dev/null 2>&1 &
pid=$!
set +m
# Generous bounds: on a loaded machine building the image and starting QEMU
# can take long; what is checked is the outcome, not the speed.
for _ in $(seq 1 600); do qemu_of "$dir" && break; sleep 0.2; done
sleep 2
# Ctrl-C signals the terminal's whole foreground process group, so that a
# running child (make, tinyx) stops too; do the same (set -m made the run
# a process group of its own).
kill -INT -- -$pid
# Bounded wait: a lab that ignores Ctrl-C must fail this check, not hang it.
for _ in $(seq 1 300); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
if kill -0 $pid 2>/dev/null; then
    kill -KILL -- -$pid; pkill -f "qemu-system-x86_64.*$dir"; st=timeout
else
    wait $pid; st=$?
fi
sleep 1
[ $st = 130 ] && ! qemu_of "$dir"
check "SIGINT stops the run (130) and QEMU" $? "status $st, qemu still running: $(pgrep -fa "qemu.*$dir")"

echo "lab-tool: $passed passed, $failed failed"
[ $failed = 0 ]
