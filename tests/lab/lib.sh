# shellcheck shell=sh
# Helpers for lab tests (sourced).  Busybox sh.
fail() { echo "FAIL: $*"; exit 1; }
# Milliseconds since dom0 booted (busybox date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# wait_for SECONDS 'shell condition': polls every 0.2 s.
wait_for() {
    limit=$(( $(date +%s) + $1 ))
    while ! eval "$2"; do
        [ "$(date +%s)" -ge "$limit" ] && return 1
        sleep 0.2
    done
    return 0
}
# Number of domains Xen reports (dom0 included).
domain_count() { chaos list --json | grep -c '"domid"'; }
# Free host memory in MiB, as Xen reports it.
free_mib() { chaos info --json | sed -n 's/.*"free_memory_mib": *\([0-9]*\).*/\1/p'; }
# The field of one domain in `chaos list --json`: dom_field DOMID FIELD
dom_field() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
        grep "\"domid\":$1," | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}
# The domain id in `chaos create`'s "created domain NAME (id N)" line.
domid_of() { echo "$1" | sed -n 's/.*(id \([0-9]*\)).*/\1/p'; }
# Waits until domain $1 has shut down (up to $2 s); prints its reason.
wait_shutdown() {
    wait_for "$2" "[ \"\$(dom_field $1 state)\" = shutdown ] || [ \"\$(dom_field $1 state)\" = crashed ]" ||
        return 1
    dom_field "$1" shutdown_reason
}
# Remembers the domain count and free memory, to compare after a test.
snapshot() { SNAP_DOMS=$(domain_count); SNAP_FREE=$(free_mib); }
# Fails unless domains and free memory are back to the snapshot.  A destroyed
# domain lingers as "dying" until the last mapping of its pages goes (e.g.
# the console monitor's, released on its next poll), and Xen scrubs freed
# memory in the background, so allow both a few seconds.
expect_nothing_left() {
    wait_for 10 "[ \"\$(domain_count)\" = \"$SNAP_DOMS\" ]" ||
        fail "domains left behind: $(chaos list)"
    wait_for 10 "[ \"\$(free_mib)\" = \"$SNAP_FREE\" ]" ||
        fail "free memory not back: $SNAP_FREE MiB before, $(free_mib) MiB now"
}
# The network interfaces, sorted, on one line.
links() { ip -o link | sed 's/^[0-9]*: \([^:@]*\).*/\1/' | sort | tr '\n' ' '; }

# bridge_up BRIDGE ADDR/LEN: the test's own bridge, with dom0's address on
# it, removed when the test exits (an EXIT trap); then snapshot, and LINKS
# holds the interfaces, for the test's "nothing left" at its end.
bridge_up() {
    brctl addbr "$1" || fail "cannot create the bridge"
    # shellcheck disable=SC2064 # the bridge's name is fixed now
    trap "ip link set $1 down 2>/dev/null; brctl delbr $1 2>/dev/null" EXIT
    if ! ip addr add "$2" dev "$1" || ! ip link set "$1" up; then
        fail "cannot set up the bridge"
    fi
    snapshot
    LINKS=$(links)
}
# expect_error LABEL PATTERN ARGS...: `chaos create ARGS` fails with a
# message holding PATTERN and leaves nothing: no domain, no memory (the
# snapshot), no interface (compared with $LINKS).
expect_error() {
    label=$1 pattern=$2
    shift 2
    out=$(chaos create "$@" 2>&1) && fail "$label: accepted: $out"
    echo "$out" | grep -q -- "$pattern" || fail "$label: message lacks '$pattern': $out"
    [ "$(links)" = "$LINKS" ] || fail "$label: interfaces left: $(links)"
    expect_nothing_left
    echo "ok: $label: $out"
}
# True once Linux in domain $1 has said it handles poweroff requests.
xenstore_feature() {
    [ "$(xenstore-read "/local/domain/$1/control/feature-poweroff" 2>/dev/null)" = 1 ]
}
# True if xenstored runs in dom0 (busybox here has no pgrep).
# shellcheck disable=SC2009 # no pgrep in the lab's busybox
xenstored_running() { ps | grep -q '[x]enstored'; }
# The domain id of the guest named $1 (empty if none).
dom_field_by_name() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
        grep "\"name\":\"$1\"" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p'
}
# lab_extra NAME: the lab's optional package set NAME (tools/lab/chaos-lab
# unpacks it in its cache and shares that read-only over 9p, tag labextra:
# not in dom0's image), mounted at /lab/extra on first use; prints its
# folder, or fails when the lab has no such set.  cache=loose: the files
# never change while the lab runs, and page-cached reads make a binary's
# second start as fast as from RAM.
lab_extra() {
    if ! grep -q ' /lab/extra ' /proc/mounts; then
        mkdir -p /lab/extra
        mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro \
            labextra /lab/extra 2>/dev/null || return 1
    fi
    [ -d "/lab/extra/$1" ] && echo "/lab/extra/$1"
}
# oci_chaosd DIR: starts chaosd (pid in DPID) with one flavor "oci", a
# pool of one shell of chaos-oci's default guest (128 MiB, PV, 1 vCPU:
# docs/oci.md), from DIR/chaosd.conf, logging to DIR/chaosd.log
# (appended: a restarted chaosd keeps one log).
oci_chaosd() {
    cat >"$1/chaosd.conf" <<CONF
[flavor oci]
type = "pv"
memory = 128
vcpus = 1
pool = 1
CONF
    chaosd --config "$1/chaosd.conf" >>"$1/chaosd.log" 2>&1 &
    # shellcheck disable=SC2034 # the caller's
    DPID=$!
}
# oci_pool_full: oci_chaosd's pool holds its shell.
oci_pool_full() { chaos pool 2>/dev/null | awk '$1 == "oci" { print $6 }' | grep -qx 1; }
