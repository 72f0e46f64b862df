# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/noxs-bench).  Networked guests,
# chaos (noxs, the user-space back ends) against Debian's xl (XenStore,
# the kernel's netback, a hotplug script), on one bridge, in one boot.
# Prints CSV lines "measure,toolstack,n,value":
#   reachable   (a) ms from the create request until the guest answers an
#               HTTP GET: chaos's unikernel `http` from a chaosd pool, xl's
#               Linux guest with one vif (busybox httpd)
#   nth         (b) ms of the n-th create of a networked guest (`http`,
#               paused, n = 1 .. NTH: "chaos" through chaosd, "monitor"
#               without it, a monitor per guest; xl up to XL_NTH)
#   mbps        (c) MB/s of a 16 MiB HTTP download from the guest (3 in
#               a row from the same guest)
#   pps         (c) packets/s through the guest's interface during it
#   rss_kib     (d) supervisor memory per served guest: chaosd's resident
#               memory growth per running networked guest it serves
#   pss_kib     (d) the same for `chaos create`'s monitor per guest
N=${N:-10}
NTH=${NTH:-200}
XL_NTH=${XL_NTH:-20}
SERVED=${SERVED:-50}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel

brctl addbr chaosbr0 || fail "cannot create the bridge"
if ! ip addr add 10.0.0.1/16 dev chaosbr0 || ! ip link set chaosbr0 up; then
    fail "cannot set up the bridge"
fi
# shellcheck disable=SC3045 # busybox ash's ulimit has -n
ulimit -n 65536

# ip_of N: a guest address for the N-th guest (10.0.X.Y).
ip_of() { echo "10.0.$(($1 / 200 + 1)).$(($1 % 200 + 2))"; }

# until_reachable URL SECONDS [TRY]: polls with wget, each try killed
# after TRY seconds (default 1: a unikernel answers at once; a Linux guest
# under emulation needs longer for its first answer, so xl's polls get 10);
# fails after SECONDS.  (No -T: busybox 1.35 static wget segfaults with it.)
until_reachable() {
    end=$(($(date +%s) + $2))
    until timeout "${3:-1}" wget -q -O /dev/null "$1" 2>/dev/null; do
        [ "$(date +%s)" -ge "$end" ] && return 1
    done
}

# download URL IFACE TOOLSTACK: the (c) lines.
download() {
    [ -e "/sys/class/net/$2" ] || fail "no interface $2 for the download from $1"
    p0=$(cat "/sys/class/net/$2/statistics/tx_packets")
    p0=$((p0 + $(cat "/sys/class/net/$2/statistics/rx_packets")))
    t0=$(now_ms)
    wget -q -O /dev/null "$1" || fail "download of $1 failed"
    t1=$(now_ms)
    p1=$(cat "/sys/class/net/$2/statistics/tx_packets")
    p1=$((p1 + $(cat "/sys/class/net/$2/statistics/rx_packets")))
    ms=$((t1 - t0))
    [ $ms -gt 0 ] || ms=1
    echo "mbps,$3,1,$(awk -v ms=$ms 'BEGIN { printf "%.2f", 16 * 1000 / ms }')"
    echo "pps,$3,1,$(((p1 - p0) * 1000 / ms))"
}

# ---- chaos: a chaosd pool of networked unikernel shells ----
POOL=4
cat >/tmp/noxs-chaosd.conf <<CONF
socket = "/run/chaos/chaosd.sock"
idle_memory_mib = 256
refill_workers = 1
ready_timeout_s = 600
[flavor net]
type = "pv"
memory = 8
vcpus = 1
vif = "bridge=chaosbr0"
pool = $POOL
CONF
START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
        sed 's|--config [^ ]*|--config /tmp/noxs-chaosd.conf|')
$START >/tmp/noxs-chaosd.log 2>&1 &
CHAOSD=$!
pool_idle() { chaos pool 2>/dev/null | awk '$1 == "net" { print $6 }'; }
wait_for 600 "[ \"\$(pool_idle)\" = $POOL ]" ||
    { tail /tmp/noxs-chaosd.log >&2; fail "the pool did not fill"; }

http_cfg() {  # http_cfg FILE NAME N [MEMORY]
    printf 'name="%s"\ntype="pv"\nkernel="%s/http"\nmemory=%s\nvcpus=1\n' \
        "$2" "$UK" "${4:-8}" >"$1"
    printf 'vif=["bridge=chaosbr0"]\ncmdline="ip=%s/16 name=%s"\n' \
        "$(ip_of "$3")" "$2" >>"$1"
}

i=1
while [ $i -le "$N" ]; do
    http_cfg /tmp/a.cfg "a-$i" "$i"
    wait_for 600 "[ \"\$(pool_idle)\" = $POOL ]" || fail "the pool did not refill"
    t0=$(now_ms)
    chaos create -q --daemon /tmp/a.cfg >/dev/null || fail "chaos create a-$i"
    until_reachable "http://$(ip_of "$i")/" 60 || fail "a-$i never answered"
    echo "reachable,chaos,$i,$(($(now_ms) - t0))"
    # The guest's TAP is named after its domain (vifDOMID.0), which a pool
    # shell keeps when it becomes the guest.
    if [ $i = 1 ]; then
        for _ in 1 2 3; do
            download "http://$(ip_of 1)/bytes/16777216" \
                "vif$(dom_field_by_name "a-$i").0" chaos
        done
    fi
    chaos destroy "a-$i" >/dev/null
    i=$((i + 1))
done

# (b) and (d) through chaosd without pools: every create is a real one
# (`chaos create` goes to chaosd when it runs), and chaosd serves every
# guest from one process with domain events.
kill -TERM $CHAOSD
wait $CHAOSD
sed 's/^pool = .*/pool = 0/' /tmp/noxs-chaosd.conf >/tmp/noxs-chaosd0.conf
START0=$(echo "$START" | sed 's|noxs-chaosd.conf|noxs-chaosd0.conf|')
$START0 >>/tmp/noxs-chaosd.log 2>&1 &
CHAOSD=$!
wait_for 60 "[ \"\$(pool_idle)\" = 0 ]" || fail "chaosd did not come back"
i=1
while [ $i -le "$NTH" ]; do
    http_cfg /tmp/b.cfg "b-$i" $((i + 1000)) 4
    t0=$(now_ms)
    chaos create -q --daemon -p /tmp/b.cfg >/dev/null 2>/tmp/b.err ||
        fail "chaos create --daemon b-$i: $(cat /tmp/b.err)"
    echo "nth,chaos,$i,$(($(now_ms) - t0))"
    i=$((i + 1))
done
destroy_named() {  # destroy_named PREFIX: every guest whose name starts so
    for id in $(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
                grep "\"name\":\"$1" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p'); do
        chaos destroy "$id" >/dev/null
    done
}
destroy_named b-
# (d): chaosd's resident memory growth per guest it serves, running and
# answering HTTP (paused guests have not connected their devices: their
# back ends' buffers are never touched, so they cost no resident memory).
# (A tab follows "VmRSS:": awk splits on it, a sed pattern of spaces
# matched nothing, and every earlier run printed 0.0.)
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$CHAOSD/status"; }
r0=$(rss)
i=1
while [ $i -le "$SERVED" ]; do
    http_cfg /tmp/d.cfg "d-$i" $((i + 1000)) 4
    chaos create -q --daemon /tmp/d.cfg >/dev/null || fail "chaos create d-$i"
    until_reachable "http://$(ip_of $((i + 1000)))/" 60 || fail "d-$i never answered"
    i=$((i + 1))
done
r1=$(rss)
if [ -z "$r0" ] || [ -z "$r1" ]; then fail "cannot read chaosd's VmRSS"; fi
echo "rss_kib,chaosd,$SERVED,$(awk -v a="$r0" -v b="$r1" -v n="$SERVED" 'BEGIN { printf "%.1f", (b - a) / n }')"
destroy_named d-
kill -TERM $CHAOSD
wait $CHAOSD

# (b) without chaosd: `chaos create` (paused: devices served) starts a
# monitor per guest, which looks at its domain every 250 ms.
i=1
while [ $i -le "$NTH" ]; do
    http_cfg /tmp/m.cfg "m-$i" $((i + 2000)) 4
    t0=$(now_ms)
    chaos create -q -p /tmp/m.cfg >/dev/null 2>/tmp/m.err || fail "chaos create m-$i: $(cat /tmp/m.err)"
    echo "nth,monitor,$i,$(($(now_ms) - t0))"
    i=$((i + 1))
done
# (d) for chaos create: each guest's monitor (a fork of the chaos command
# serving its console and devices); its proportional set size (shared
# library pages split among the monitors) per guest.
pss=0 monitors=0
for f in /proc/[0-9]*/cmdline; do
    d=${f%/cmdline}
    tr '\0' ' ' <"$f" 2>/dev/null | grep -q '^chaos create -q -p /tmp/m.cfg' || continue
    k=$(awk '/^Pss:/ { print $2 }' "$d/smaps_rollup" 2>/dev/null) || continue
    pss=$((pss + ${k:-0}))
    monitors=$((monitors + 1))
done
[ $monitors -gt 0 ] && echo "pss_kib,chaos,$monitors,$((pss / monitors))"
destroy_named m-

# ---- xl: xenstored, the kernel's netback, a hotplug script ----
modprobe xen-netback || fail "cannot load xen-netback"
/lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up failed"
linux_cfg() {  # linux_cfg FILE NAME N
    cat >"$1" <<CFG
name = "$2"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.http=$(ip_of "$3")/16"
memory = 128
vif = [ 'bridge=chaosbr0,script=/lab/bench/xl-vif-script' ]
on_crash = "destroy"
CFG
}
i=1
while [ $i -le "$N" ]; do
    linux_cfg /tmp/x.cfg "x-$i" $((i + 3000))
    t0=$(now_ms)
    xl create -q /tmp/x.cfg || fail "xl create x-$i"
    until_reachable "http://$(ip_of $((i + 3000)))/" 300 10 ||
        fail "x-$i never answered: $(tail -n 5 "/var/log/xen/console/guest-x-$i.log")"
    echo "reachable,xl,$i,$(($(now_ms) - t0))"
    if [ $i = 1 ]; then
        dom=$(xl domid "x-$i")
        for _ in 1 2 3; do
            download "http://$(ip_of $((i + 3000)))/big" "vif$dom.0" xl
        done
    fi
    xl destroy "x-$i"
    i=$((i + 1))
done
# (b) for xl: unikernel `hello` with a vif (no front end: the kernel back
# end, xenstored and the hotplug script still do all their work).
i=1
while [ $i -le "$XL_NTH" ]; do
    printf 'name="y-%s"\ntype="pv"\nkernel="%s/hello"\nmemory=4\n' "$i" "$UK" >/tmp/y.cfg
    printf 'cmdline="sleep_ms=36000000"\nvif=["bridge=chaosbr0,script=/lab/bench/xl-vif-script"]\n' >>/tmp/y.cfg
    t0=$(now_ms)
    xl create -q -p /tmp/y.cfg || fail "xl create y-$i"
    echo "nth,xl,$i,$(($(now_ms) - t0))"
    i=$((i + 1))
done
for name in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$name"; done
