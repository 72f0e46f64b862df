#!/bin/sh
# TAP devices for the network back end (libchaos/backend/tap.c, through
# lab-tap): created persistent, a port of the bridge and up, with the
# address FE:FF:FF:FF:FF:FF (the bridge's own never changes as TAPs come
# and go); opened by name (with IFF_VNET_HDR: the kernel segments and
# checksums what the back end hands it); deleted.  The errors: a missing
# bridge, a link that is not a bridge, an existing name; and a failed
# create leaves no device behind.
# (The lab's busybox brctl has no "show": ports are read from sysfs.)
# shellcheck source=lib.sh
. /lab/tests/lib.sh
tap=/lab/bin/lab-tap
links() { ls /sys/class/net; }

brctl addbr chaosbr0 || fail "cannot create bridge chaosbr0"
ip link set chaosbr0 up || fail "cannot set chaosbr0 up"

out=$($tap create chaosvif1 chaosbr0 2>&1) || fail "tap_create: $out"
[ -d /sys/class/net/chaosvif1 ] || fail "chaosvif1 does not exist"
[ -e /sys/class/net/chaosvif1/brport ] || fail "chaosvif1 is not a bridge port"
[ -e /sys/class/net/chaosbr0/brif/chaosvif1 ] || fail "chaosbr0 has no port chaosvif1"
ip link show chaosvif1 | grep -qE '[<,]UP[,>]' || fail "chaosvif1 not up: $(ip link show chaosvif1)"
# IFF_TAP 0x2, IFF_PERSIST 0x800, IFF_NO_PI 0x1000.
[ "$(cat /sys/class/net/chaosvif1/tun_flags)" = 0x1802 ] ||
    fail "chaosvif1 flags $(cat /sys/class/net/chaosvif1/tun_flags), expected TAP|PERSIST|NO_PI"
echo "created: chaosvif1 is a port of chaosbr0, up"

# dom0's address on the bridge stays while TAPs come and go: each TAP has
# FE:FF:FF:FF:FF:FF (as Xen's vifs), never below another port's, so the
# bridge (which takes its lowest port's address) never changes it.  With
# the kernel's random TAP addresses, each new TAP took the bridge's
# address with a chance of one in two here, and a guest's TCP answers to
# the old one were dropped (docs/benchmarks.md, "Late first answers").
[ "$(cat /sys/class/net/chaosvif1/address)" = fe:ff:ff:ff:ff:ff ] ||
    fail "chaosvif1's address is $(cat /sys/class/net/chaosvif1/address), not fe:ff:ff:ff:ff:ff"
brmac=$(cat /sys/class/net/chaosbr0/address)
i=2
while [ $i -le 17 ]; do
    out=$($tap create chaosvif$i chaosbr0 2>&1) || fail "tap_create chaosvif$i: $out"
    [ "$(cat /sys/class/net/chaosbr0/address)" = "$brmac" ] ||
        fail "adding chaosvif$i changed the bridge's address: $brmac, now $(cat /sys/class/net/chaosbr0/address)"
    [ $i -gt 2 ] && { out=$($tap delete chaosvif$((i - 1)) 2>&1) || fail "tap_delete: $out"; }
    [ "$(cat /sys/class/net/chaosbr0/address)" = "$brmac" ] ||
        fail "deleting chaosvif$((i - 1)) changed the bridge's address: $brmac, now $(cat /sys/class/net/chaosbr0/address)"
    i=$((i + 1))
done
out=$($tap delete chaosvif17 2>&1) || fail "tap_delete chaosvif17: $out"
echo "addresses: TAPs fe:ff:ff:ff:ff:ff; the bridge kept $brmac through 16 TAPs added and deleted"

out=$($tap open chaosvif1 2>&1) || fail "tap_open: $out"
out=$($tap open chaosnone 2>&1) && fail "tap_open of a missing device succeeded"
echo "$out" | grep -q "chaosnone.*does not exist" || fail "tap_open error: $out"
[ ! -e /sys/class/net/chaosnone ] || fail "tap_open created chaosnone"
echo "opened"

# The offloads: what the back end writes with a virtio-net header (a GSO
# TCP packet, a checksum-blank UDP one) reaches another port cut into
# segments, checksums right.
out=$($tap create chaosvif2 chaosbr0 2>&1) || fail "tap_create chaosvif2: $out"
out=$($tap offload chaosvif1 chaosvif2 2>&1) || fail "offloads: $out"
echo "$out"
out=$($tap delete chaosvif2 2>&1) || fail "tap_delete chaosvif2: $out"
echo "offloads: segmented and checksummed by the kernel"

# Errors; each failed create must leave the links as they were.
before=$(links)
out=$($tap create chaosvif1 chaosbr0 2>&1) && fail "a second create of chaosvif1 succeeded"
echo "$out" | grep -q "chaosvif1" || fail "existing name: $out"
[ -e /sys/class/net/chaosvif1/brport ] || fail "a failed create touched chaosvif1"
out=$($tap create chaosvif2 xenbr9 2>&1) && fail "create on a missing bridge succeeded"
echo "$out" | grep -q "bridge 'xenbr9' does not exist" || fail "missing bridge: $out"
echo "$out" | grep -q "chaosvif2" || fail "missing bridge message lacks the device: $out"
out=$($tap create chaosvif2 lo 2>&1) && fail "create on lo succeeded"
echo "$out" | grep -q "'lo' is not a bridge" || fail "not a bridge: $out"
out=$($tap create chaosvif2 chaosvif1 2>&1) && fail "create on a TAP as bridge succeeded"
echo "$out" | grep -q "'chaosvif1' is not a bridge" || fail "TAP as bridge: $out"
out=$($tap create chaos-name-too-long chaosbr0 2>&1) && fail "a 19-character name was taken"
echo "$out" | grep -q "invalid TAP device name" || fail "long name: $out"
[ "$(links)" = "$before" ] || fail "failed creates left links: $(links)"
out=$($tap delete lo 2>&1) && fail "tap_delete deleted lo"
echo "$out" | grep -q "not a TAP device" || fail "delete lo: $out"
echo "errors: missing bridge, not a bridge, existing name, bad name; nothing left"

out=$($tap delete chaosvif1 2>&1) || fail "tap_delete: $out"
[ ! -e /sys/class/net/chaosvif1 ] || fail "chaosvif1 still exists"
[ ! -e /sys/class/net/chaosbr0/brif/chaosvif1 ] || fail "chaosbr0 still lists chaosvif1"
out=$($tap delete chaosvif1 2>&1) && fail "a second delete succeeded"
echo "$out" | grep -q "errno=19" || fail "second delete: expected ENODEV: $out"
echo "deleted"

ip link set chaosbr0 down
brctl delbr chaosbr0
