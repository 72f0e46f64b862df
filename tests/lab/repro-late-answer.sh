#!/bin/sh
# Repro for service-bench's late first answers (docs/benchmarks.md,
# "Late first answers"): not a test (run-all runs test-*.sh only), a
# measurement.  N creates of the unikernel `http` from a chaosd pool of
# KIND (pool: plain, image, template), each polled with wget as
# service-vs-xl.sh does; for each create, one line:
#   n answer_ms syn_retrans other br_mac_before br_mac_after
# syn_retrans: dom0's TCPSynRetrans (/proc/net/netstat) during the poll;
# other: frames the bridge passed up to dom0 for another MAC (dropped);
# br_mac_*: the bridge's MAC address when the create started and when it
# answered.  The bridge's MAC changes are logged as they happen (polled
# every 20 ms) with dom0's uptime; lab-sniff records the bridge's ARP and
# TCP frames, and a create that answered after 700 ms or with a SYN
# retransmitted gets its frames printed.
# Usage: repro-late-answer.sh [N [KIND [BRMAC]]]; BRMAC, if given, is set
# as the bridge's address first (the workaround to compare with).
# Example: tools/lab/chaos-lab --build build -q run \
#              "sh /lab/tests/repro-late-answer.sh 40 pool"
# shellcheck source=lib.sh
. /lab/tests/lib.sh
N=${1:-40}
KIND=${2:-pool}
BRMAC=${3:-}
UK=/usr/local/libexec/chaos/unikernel
DIR=/tmp/late-answer
rm -rf $DIR
mkdir -p $DIR
BR=chaosbr0
brctl addbr $BR || fail "cannot create the bridge"
[ -n "$BRMAC" ] && { ip link set $BR address "$BRMAC" || fail "cannot set the bridge's MAC"; }
if ! ip addr add 10.0.0.1/16 dev $BR || ! ip link set $BR up; then
    fail "cannot set up the bridge"
fi
echo 50 >/proc/sys/net/ipv4/neigh/$BR/retrans_time_ms
echo 100 >/proc/sys/net/ipv4/neigh/$BR/mcast_solicit

uk_cfg() {
    cat <<CFG
name = "$1"
type = "pv"
kernel = "$UK/http"
memory = 8
vcpus = 1
vif = [ '$3' ]
cmdline = "$2"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
}
TPL_CMD="ip=10.0.0.2/16 name=tpl-web"
uk_cfg tpl "$TPL_CMD" bridge=$BR >$DIR/tpl.cfg
{
    echo 'socket = "/run/chaos/chaosd.sock"'
    echo 'idle_memory_mib = 1024'
    echo 'ready_timeout_s = 600'
    echo '[flavor svc]'
    echo 'type = "pv"'
    echo 'memory = 8'
    case $KIND in
    pool) echo "vif = \"bridge=$BR\"" ;;
    image) echo "kernel = \"$UK/http\""; echo 'cmdline_per_request = "yes"'
           echo "vif = \"bridge=$BR\"" ;;
    template) echo "template = \"$DIR/tpl.cfg\""
              echo 'template_ready = "http: listening on"'
              echo 'template_timeout_s = 120' ;;
    *) fail "KIND: pool, image or template" ;;
    esac
    echo 'pool = 2'
} >$DIR/chaosd.conf
START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
        sed "s|--config [^ ]*|--config $DIR/chaosd.conf|")
$START >>$DIR/chaosd.log 2>&1 &
CHAOSD=$!
pool_full() {
    [ "$(chaos pool 2>/dev/null | awk '$1 == "svc" { print $6 }')" = 2 ]
}
wait_for 600 pool_full || { tail $DIR/chaosd.log; fail "the pool did not fill"; }

synretrans() {
    awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 }
                      else for (i = 1; i <= NF; i++) if (k[i] == "TCPSynRetrans") print $i }' \
        /proc/net/netstat
}
brmac() { cat /sys/class/net/$BR/address; }

/lab/bin/lab-sniff $BR >$DIR/sniff.log 2>$DIR/sniff.err &
SNIFF=$!
# The bridge's MAC changes, as they happen.
(
    last=
    while :; do
        read -r a </sys/class/net/$BR/address
        if [ "$a" != "$last" ]; then
            read -r up _ </proc/uptime
            echo "brmac $up $a"
            last=$a
        fi
        sleep 0.02
    done
) &
WATCH=$!

answered() {
    end=$(($(now_ms) + $2 * 1000))
    until timeout 2 wget -q -O /dev/null "http://$1/" 2>/dev/null; do
        [ "$(now_ms)" -ge $end ] && return 1
        sleep 0.02
    done
}

late=0
i=1
while [ $i -le "$N" ]; do
    wait_for 600 pool_full || fail "the pool did not refill"
    ip=10.0.2.$((i + 2))
    case $KIND in
    template) uk_cfg "s$i" "$TPL_CMD" "bridge=$BR,ip=$ip/16" >$DIR/g.cfg ;;
    *) uk_cfg "s$i" "ip=$ip/16 name=s$i" "bridge=$BR" >$DIR/g.cfg ;;
    esac
    r0=$(synretrans)
    m0=$(brmac)
    t0=$(now_ms)
    chaos create -q --json --daemon $DIR/g.cfg >$DIR/out 2>$DIR/err ||
        fail "create $i: $(cat $DIR/err)"
    t1=$(now_ms)
    answered "$ip" 60 || fail "s$i never answered"
    t2=$(now_ms)
    r1=$(synretrans)
    m1=$(brmac)
    sleep 0.1 # lab-sniff's lines of the last frames
    other=$(awk -v a="$t0" -v b="$t2" '$1 >= a && $1 <= b + 50 && $2 == "other"' $DIR/sniff.log | wc -l)
    echo "create $i t0 $t0 cmd $((t1 - t0)) answer $((t2 - t0)) synretrans $((r1 - r0)) other $other brmac $m0 $m1"
    if [ $((r1 - r0)) -gt 0 ] || [ $((t2 - t0)) -gt 700 ]; then
        late=$((late + 1))
        awk -v a="$t0" -v b="$t2" '$1 >= a && $1 <= b + 50 { print "  " $0 }' $DIR/sniff.log
    fi
    chaos destroy "s$i" >/dev/null 2>&1 || fail "destroy s$i"
    ip neigh flush dev $BR >/dev/null 2>&1
    i=$((i + 1))
done
kill $WATCH
kill -TERM $SNIFF
wait $SNIFF
echo "summary: $N creates, $late late (a SYN retransmitted, or over 700 ms); $(cat $DIR/sniff.err)"
kill -TERM $CHAOSD
wait $CHAOSD
ip -o link | grep -c 'master chaosbr0' || true
