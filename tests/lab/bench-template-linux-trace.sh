#!/bin/sh
# Where a tinyx Linux template clone's time goes (docs/benchmarks.md,
# "Where a Linux clone's time goes"): chaosd with a template pool of the
# lab's httpd-pv (the template's kernel command line with KLOG, default
# "loglevel=7" instead of "quiet", so that its resume is on the console),
# N clones (default 5) created one after another, each at its own
# address; for each, every console line with dom0's ms since the create
# command started (polled every ~10 ms, so lines that come together show
# one time; the bracketed time is the guest's own clock), the wgets that
# failed before the first answer, TCP retransmissions in dom0, and the
# command's and first answer's times.  A diagnostic, not a benchmark:
#   chaos-lab run "N=5 sh /lab/tests/bench-template-linux-trace.sh"
# shellcheck source=lib.sh
. /lab/tests/lib.sh
IMG=/lab/tinyx/httpd-pv
DIR=/tmp/lxclone
N=${N:-5}
KLOG=${KLOG:-loglevel=7}
[ -f $IMG/guest.cfg ] || fail "no $IMG/guest.cfg (make lab-tinyx-images on the host)"
rm -rf $DIR
mkdir -p $DIR
bridge_up chaosbr0 10.0.0.1/16
echo 50 >/proc/sys/net/ipv4/neigh/chaosbr0/retrans_time_ms
echo 100 >/proc/sys/net/ipv4/neigh/chaosbr0/mcast_solicit
lx_cfg() {
    sed -e "s|^name *=.*|name = \"$1\"|" -e "s|^vif *=.*|vif = [ '$2' ]|" \
        -e "s|^memory *=.*|memory = 128|" -e "s| quiet | $KLOG |" $IMG/guest.cfg
}
lx_cfg lxt bridge=chaosbr0 >$DIR/tpl.cfg
cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 1024
[flavor svc]
type = "pv"
memory = 128
template = "$DIR/tpl.cfg"
template_ready = "tinyx-httpd: serving"
template_timeout_s = 180
pool = 2
CONF
chaosd --config $DIR/chaosd.conf >$DIR/chaosd.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
pool_full() { [ "$(chaos pool 2>/dev/null | awk '$1 == "svc" { print $6 }')" = 2 ]; }
retrans() { awk '/^Tcp:/ && $6 ~ /^[0-9]/ { print $13 }' /proc/net/snmp; }
wait_for 300 pool_full || fail "the template pool did not fill: $(tail -n 5 $DIR/chaosd.log)"
for i in $(seq 1 "$N"); do
    wait_for 300 pool_full || fail "the pool did not refill"
    ip=10.0.1.$((i + 10))
    lx_cfg "c$i" "bridge=chaosbr0,ip=$ip/16" >$DIR/c.cfg
    log=/var/log/chaos/console/c$i.log
    rm -f "$log" $DIR/stop
    t0=$(now_ms)
    out=$(chaos create -q --json --daemon $DIR/c.cfg) || fail "create c$i: $out"
    t1=$(now_ms)
    (
        seen=0
        until [ -e $DIR/stop ]; do
            n=$(wc -l <"$log" 2>/dev/null || echo 0)
            if [ "$n" -gt "$seen" ]; then
                t=$(($(now_ms) - t0))
                sed -n "$((seen + 1)),${n}p" "$log" | tr -d '\r' | sed "s/^/  [$t ms] /"
                seen=$n
            fi
            sleep 0.01
        done
    ) &
    watcher=$!
    r0=$(retrans)
    tries=""
    until timeout 2 wget -q -O /dev/null "http://$ip/" 2>/dev/null; do
        tries="$tries $(($(now_ms) - t0))"
        sleep 0.02
    done
    t2=$(now_ms)
    sleep 0.3
    : >$DIR/stop
    wait $watcher
    echo "  wgets failed before the answer (ms):${tries:- none}; TCP retransmissions: $(($(retrans) - r0))"
    echo "clone $i: command $((t1 - t0)) ms, first answer $((t2 - t0)) ms; chaosd: $(echo "$out" | sed -n 's/.*"timings": *//p')"
    chaos destroy "c$i" >/dev/null || fail "destroy c$i"
    ip neigh flush dev chaosbr0 >/dev/null 2>&1
done
