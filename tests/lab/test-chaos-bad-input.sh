#!/bin/sh
# Bad input: each case gives a clear error naming the problem, a non-zero
# exit status, and leaves no domain and no memory behind.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
cd /tmp || fail "cannot cd to /tmp"
good='name = "bad-input"
type = "pv"
kernel = "/lab/guest/vmlinuz"
memory = 128
xenstore = "no"'

# expect_error NAME EXPECTED-STATUS PATTERN CONFIG-TEXT [KEY=VALUE...]
expect_error() {
    label=$1 want=$2 pattern=$3 text=$4
    shift 4
    printf '%s\n' "$text" >/tmp/bad.cfg
    out=$(chaos create /tmp/bad.cfg "$@" 2>&1)
    st=$?
    [ $st = "$want" ] || fail "$label: exit status $st, wanted $want: $out"
    echo "$out" | grep -q -- "$pattern" || fail "$label: message lacks '$pattern': $out"
    echo "ok: $label: $out"
    [ "$(domain_count)" = "$SNAP_DOMS" ] || fail "$label: a domain was left behind: $(chaos list)"
}

expect_error "missing kernel" 1 "cannot read kernel '/nonexistent/vmlinuz'" \
    "$good" kernel=/nonexistent/vmlinuz
echo junk >/tmp/notakernel
expect_error "not a kernel" 1 "not a bootable Xen kernel" "$good" kernel=/tmp/notakernel
: >/tmp/empty
expect_error "empty kernel" 1 "is unusable: empty" "$good" kernel=/tmp/empty
expect_error "kernel is a directory" 1 "is unusable: not a regular file" "$good" kernel=/tmp
expect_error "syntax error" 2 "/tmp/bad.cfg:2:" 'name = "x"
memory = = 3'
expect_error "unknown key" 2 "unknown key 'memroy'" "$good
memroy = 3"
expect_error "unsupported key" 2 "not supported by chaos yet" "$good
pci = [ '0000:01:00.0' ]"
expect_error "vif on a bridge that does not exist" 1 "xenbr0" "$good
vif = [ 'bridge=xenbr0' ]"
expect_error "too much memory" 1 "only [0-9]* MiB are free" "$good" memory=100000 maxmem=100000
expect_error "ramdisk missing" 1 "cannot read ramdisk" "$good" ramdisk=/nonexistent
expect_error "memory too small for the kernel" 1 "kernel too large" "$good" memory=16

# A duplicate name: the first guest stays, the second is refused.
printf '%s\n' "$good" >/tmp/first.cfg
chaos create -p /tmp/first.cfg >/dev/null || fail "creating the first guest failed"
out=$(chaos create -p /tmp/first.cfg 2>&1) && fail "duplicate name accepted: $out"
echo "$out" | grep -q "already exists" || fail "duplicate: unclear message: $out"
echo "ok: duplicate name: $out"
chaos destroy bad-input || fail "destroying the first guest failed"

expect_nothing_left
echo "nothing left behind"
