#!/bin/sh
# The xl side of the template-pool benchmark (docs/benchmarks.md, "A tinyx
# Linux service from a template pool"): Debian's xl create of the same
# httpd-pv image test-chaosd-template-linux.sh takes clones of, on the
# same bridge (xenstored, the kernel's netback, a busybox hotplug
# script), timed from the create command to the first page served at
# the image's address, N times (default 3; xl's guests boot).  Run
# after that test, in the same lab boot:
#   chaos-lab run "/lab/tests/run-all chaosd-template-linux && sh /lab/tests/bench-template-linux-xl.sh"
# shellcheck source=lib.sh
. /lab/tests/lib.sh
N=${1:-3}
IMG=/lab/tinyx/httpd-pv
NAME=tinyx-httpd-pv
[ -f $IMG/guest.cfg ] || fail "no $IMG/guest.cfg (make lab-tinyx-images on the host)"
modprobe xen-netback || fail "cannot load xen-netback"
/lab/bin/xl-up || fail "xl-up could not start xenstored/xenconsoled"
brctl addbr chaosbr0 || fail "cannot create the bridge"
trap 'xl destroy $NAME 2>/dev/null; ip link set chaosbr0 down 2>/dev/null; brctl delbr chaosbr0 2>/dev/null' EXIT
if ! ip addr add 10.0.0.1/24 dev chaosbr0 || ! ip link set chaosbr0 up; then
    fail "cannot set up the bridge"
fi
# The same memory as the test's template (128 MiB), xl's hotplug script.
sed -e "s|^memory *=.*|memory = 128|" \
    -e "s|'bridge=\([^',]*\)'|'bridge=\1,script=/lab/bench/xl-vif-script'|" \
    $IMG/guest.cfg >/tmp/bench-xl-httpd.cfg
for i in $(seq 1 "$N"); do
    ip neigh flush dev chaosbr0 >/dev/null 2>&1
    t0=$(now_ms)
    xl create /tmp/bench-xl-httpd.cfg >/dev/null 2>&1 || fail "xl create failed"
    t1=$(now_ms)
    limit=$((t0 + 300000))
    until timeout 2 wget -q -O - http://10.0.0.2/ 2>/dev/null | grep -q "tinyx lab page"; do
        [ "$(now_ms)" -ge $limit ] && fail "xl run $i: no page in 300 s"
        sleep 0.1
    done
    echo "xl run $i: create command $((t1 - t0)) ms, first page $(($(now_ms) - t0)) ms (BENCH xl-first-page-ms $(($(now_ms) - t0)))"
    xl destroy $NAME || fail "xl destroy"
    wait_for 60 "! xl domid $NAME >/dev/null 2>&1" || fail "the guest did not go"
done
