# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/oci-bench).  `ctr run --rm` of
# the same BusyBox command,
#   sh -c 'echo first; read -r h </proc/sys/kernel/hostname; echo $h;
#          read -r r </proc/sys/kernel/osrelease; echo $r'
# (shell built-ins after the first line: no fork), on the same root file
# system (dom0's static BusyBox, --rootfs), through Debian's containerd
# and its runc shim (io.containerd.runc.v2) with two runc binaries:
#   runc            Debian's runc (namespaces and cgroups in dom0)
#   chaos-oci       chaos-oci (a Xen guest per container) building each
#                   guest itself (no chaosd), as in
#                   tests/lab/test-chaos-oci-ctr.sh
#   chaos-oci-pool  chaos-oci with chaosd running and a pool of shells of
#                   the guests' shape (PV, 128 MiB, 1 vCPU): each guest
#                   from a prepared shell (checked in chaosd's log); the
#                   pool is refilled before each run (a steady state where
#                   every create finds a shell)
#   chaos-oci-pool-tiny  the same, same pool, with the tinyconfig kernel
#                   at $TINY (only when TINY is set: oci-bench
#                   --tinyconfig), alternating with chaos-oci-pool
#   runc-pool-phase runc again, alternating with the pooled rows: their
#                   ratio to runc is taken within the same phase (the
#                   lab shares a 2-core host whose load changes between
#                   phases: one run's runc took 8 s in the first phase)
# runc with --no-pivot (dom0's root is an initramfs, where runc cannot
# pivot_root); both with PATH=/bin (runc looks the program up in the
# container's PATH; ctr gives a rootfs without an image none).
# A first run of each is a warm-up (n=0: binaries read over 9p, caches
# empty); then N runs of runc and chaos-oci, alternating, without chaosd;
# then chaosd starts and runc-pool-phase, chaos-oci-pool and (with TINY)
# chaos-oci-pool-tiny run, alternating (a warm-up of each, then N).
# Prints one CSV line per run:
#   runtime,n,first_ms,exit_ms,hostname,release
# first_ms: from the start of `ctr run` until its stdout's first line is
# read; exit_ms: until ctr run has exited (the container gone); hostname:
# the second line, which tells where the program ran (ctr sets none:
# runc's new UTS namespace keeps dom0's name, chaos-oci names the guest
# after the container), so that no run silently used the other runtime;
# release: the third line, the kernel's release, which tells a guest of
# the tinyconfig kernel (TINY_RELEASE, given with TINY) from one of
# Debian's, so that no run silently used the other kernel.
N=${N:-5}
TINY=${TINY:-} TINY_RELEASE=${TINY_RELEASE:-}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
# shellcheck source=../../tests/lab/containerd.sh
. /lab/tests/containerd.sh
W=/tmp/oci-bench
rm -rf "$W"
mkdir -p "$W"
DPID=
stop_chaosd() {
    [ -n "$DPID" ] || return 0
    kill -TERM "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=
}
trap 'ctr_stop; stop_chaosd; rm -rf "$W"' EXIT
# runc puts each container in a cgroup: cgroup v2, as Debian 12 mounts it.
grep -q ' /sys/fs/cgroup ' /proc/mounts || mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
    fail "cannot mount cgroup2 for runc"
busybox_rootfs "$W/rootfs"
# The guests' kernel through a link that each chaos-oci create resolves
# (containerd's environment, which the shim passes on, is fixed when it
# starts): set_kernel switches it between runs.
OCI_KERNEL=$W/vmlinuz
set_kernel() { ln -sfn "$1" "$OCI_KERNEL"; }
set_kernel /lab/guest/vmlinuz
ctr_start

# stamp: T = milliseconds of uptime, without a fork (which costs
# milliseconds under TCG, and would be counted).
stamp() {
    read -r up _ </proc/uptime
    T=$((${up%.*} * 1000 + 1${up#*.} * 10 - 1000))
}

# one RUNTIME N: a run; prints its CSV line.
one() {
    case $1 in
    # runc: --no-pivot, which makes ctr replace the task's runtime options
    # (--runc-binary and --runc-root lost: the shim runs "runc" from its
    # PATH, Debian's, with its default root).  chaos-oci: its options.
    runc*) opts="--no-pivot" ;;
    chaos-oci*) opts="--runc-binary $OCI_BIN --runc-root /run/containerd/chaos-oci" ;;
    esac
    case $1 in
    chaos-oci-pool-tiny) set_kernel "$TINY" ;;
    *) set_kernel /lab/guest/vmlinuz ;;
    esac
    id=bench-$1-$2
    stamp
    t0=$T
    # shellcheck disable=SC2016,SC2086 # the container's sh expands; options
    ctr run --rm --runtime io.containerd.runc.v2 $opts --env PATH=/bin \
        --rootfs "$W/rootfs" "$id" sh -c 'echo first; read -r h </proc/sys/kernel/hostname; echo $h; read -r r </proc/sys/kernel/osrelease; echo $r' </dev/null 2>"$W/err" |
        { IFS= read -r line; stamp; echo "$T $line" >"$W/first"; cat >"$W/rest"; }
    stamp
    t2=$T
    read -r t1 line <"$W/first" || t1=
    [ "$line" = first ] || fail "$1 run $2: first line '$line', not 'first': $(cat "$W/err")"
    host=$(sed -n 1p "$W/rest")
    rel=$(sed -n 2p "$W/rest")
    case $1 in
    runc*) [ "$host" != "$id" ] ;;
    chaos-oci*) [ "$host" = "$id" ] ;;
    esac || fail "$1 run $2: the program ran on host '$host': not the runtime asked for"
    case $1 in
    chaos-oci-pool-tiny) [ "$rel" = "$TINY_RELEASE" ] ;;
    chaos-oci*) [ -z "$TINY_RELEASE" ] || [ "$rel" != "$TINY_RELEASE" ] ;;
    *) true ;;
    esac || fail "$1 run $2: the guest ran kernel release '$rel': not the kernel asked for"
    # Which way the guest was made: chaosd logs its creates.
    made=$(grep -c "created oci-$id (.*) from pool oci" "$W/chaosd.log" 2>/dev/null)
    case $1 in
    chaos-oci) [ "${made:-0}" = 0 ] ;;
    chaos-oci-pool*) [ "$made" = 1 ] ;;
    *) true ;;
    esac || fail "$1 run $2: $id made from chaosd's pool $made times: $(tail -n 5 "$W/chaosd.log")"
    echo "$1,$2,$((t1 - t0)),$((t2 - t0)),$host,$rel"
}

echo "runtime,n,first_ms,exit_ms,hostname,release"
one runc 0
one chaos-oci 0
i=1
while [ "$i" -le "$N" ]; do
    one runc "$i"
    one chaos-oci "$i"
    i=$((i + 1))
done

# chaosd with a pool of the guests' shape (chaos-oci sizes a guest without
# a memory limit 128 MiB; PV, 1 vCPU), whatever the kernel: both pooled
# rows take their shells from the same pool.
oci_chaosd "$W"
i=0
while [ "$i" -le "$N" ]; do
    for rt in runc-pool-phase chaos-oci-pool ${TINY:+chaos-oci-pool-tiny}; do
        wait_for 300 oci_pool_full || fail "chaosd's pool did not fill: $(tail -n 5 "$W/chaosd.log")"
        one "$rt" "$i"
    done
    i=$((i + 1))
done
stop_chaosd
[ -z "$(ctr container ls -q)" ] || fail "containers left: $(ctr container ls)"
