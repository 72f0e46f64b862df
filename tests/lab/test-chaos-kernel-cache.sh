#!/bin/sh
# The kernel cache (chaos_kernel_cache_enable): lab-kernel-cache creates
# Debian's Linux PV guest twice in one context.  The first build parses
# (decompresses) the bzImage; the second must use the cached kernel.  Both
# guests must boot to /init (their console logs hold the marker) and power
# off.  Times are printed, not asserted: the lab is emulated and shared.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
cat >/tmp/kc-linux.cfg <<CFG
name = "chaos-kc-linux"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet"
memory = 128
xenstore = "no"
CFG
rm -rf /tmp/kc && mkdir -p /tmp/kc
out=$(/lab/bin/lab-kernel-cache /tmp/kc /tmp/kc-linux.cfg 2>&1) ||
    fail "lab-kernel-cache failed: $out"
echo "$out"
echo "$out" | grep -q '^run 1: .* kernel_cached=0 .* reason=poweroff$' ||
    fail "first run: expected a parsed kernel and a poweroff"
echo "$out" | grep -q '^run 2: .* kernel_cached=1 .* reason=poweroff$' ||
    fail "second run: expected the cached kernel and a poweroff"
echo "$out" | grep -q '^cache: entries=1 .* hits=1 misses=1$' ||
    fail "unexpected cache statistics"
for n in 1 2; do
    grep -q CHAOS-LAB-GUEST-OK /tmp/kc/run-$n.log ||
        fail "run $n: no marker in the console log: $(tail -n 5 /tmp/kc/run-$n.log)"
done
echo "both guests booted to /init"
expect_nothing_left
