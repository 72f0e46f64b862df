#!/bin/sh
# chaosd's metrics (docs/chaosd.md, "Metrics") and `chaos top`:
# - chaosd with metrics_listen = 127.0.0.1:PORT answers GET /metrics in
#   Prometheus's text format (busybox wget is the client): pool gauges
#   for its flavor; after two creates (one from the pool, one direct) the
#   creates by path, the latency histogram's counts, guests served, and
#   one CPU/memory sample per guest whose domid, name and memory are those
#   of `chaos list --json`; a third guest (the http unikernel on a bridge)
#   has vif byte and packet counters that grow once dom0 fetched its page;
# - anything but GET /metrics gets 404/405/400/431 (busybox nc), and a
#   client that sends nothing does not hold up a scrape;
# - `chaos top -b -n 1` prints its header and one line per domain of
#   `chaos list`, the guests by name; --json one array per refresh;
# - SIGTERM closes the metrics socket too; nothing is left.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
DIR=/tmp/chaosd-metrics
LOG=/tmp/chaosd-metrics.log
PORT=9464
URL=http://127.0.0.1:$PORT/metrics
[ -x $UK/counter ] || fail "unikernel counter not installed"
command -v chaosd >/dev/null || fail "chaosd not installed"
rm -rf $DIR
mkdir -p $DIR
: >$LOG
ip link set lo up || fail "cannot bring up lo"
snapshot
brctl addbr chaosbr0 || fail "cannot create the bridge"
trap 'ip link set chaosbr0 down 2>/dev/null; brctl delbr chaosbr0 2>/dev/null' EXIT
if ! ip addr add 10.0.0.1/24 dev chaosbr0 || ! ip link set chaosbr0 up; then
    fail "cannot set up the bridge"
fi

fail_log() { echo "--- chaosd log:"; tail -n 40 $LOG; fail "$*"; }
scrape() { wget -q -O - "$URL"; }
# metric NAME{LABELS}: the value of one sample of the last scrape ($M).
metric() { echo "$M" | awk -v k="$1" '$1 == k { print $2 }'; }
# A raw request (printf format) and the status line of the answer.
status_of() {
    # shellcheck disable=SC2059 # the request is the format
    printf "$1" | nc -w 5 127.0.0.1 $PORT | head -n 1 | tr -d '\r'
}
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }

cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 32
metrics_listen = "127.0.0.1:$PORT"
[flavor m-pv]
type = "pv"
memory = 4
pool = 1
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >>$LOG 2>&1 &
PID=$!
wait_for 120 "[ \"\$(pool_col m-pv 6)\" = 1 ]" || fail_log "the pool did not fill: $(chaos pool 2>&1)"
grep -q "metrics on http://127.0.0.1:$PORT/metrics" $LOG || fail_log "chaosd did not say where its metrics are"

# ---- the pool, before any create
M=$(scrape) || fail_log "scrape failed"
for f in "chaosd_pool_idle_shells gauge" "chaosd_creates_total counter" \
         "chaosd_create_duration_seconds histogram" "chaosd_failures_total counter" \
         "chaosd_guest_cpu_seconds_total counter" "chaosd_guest_memory_bytes gauge"; do
    echo "$M" | grep -qx "# TYPE $f" || fail_log "no '# TYPE $f' in: $M"
done
[ "$(metric 'chaosd_pool_target_shells{flavor="m-pv",kind="create"}')" = 1 ] || fail_log "pool target: $M"
[ "$(metric 'chaosd_pool_idle_shells{flavor="m-pv",kind="create"}')" = 1 ] || fail_log "pool idle: $M"
[ "$(metric chaosd_pool_idle_memory_bytes)" = $((4 << 20)) ] || fail_log "idle memory: $M"
[ "$(metric chaosd_guests_served)" = 0 ] || fail_log "guests served before any create: $M"
echo "ok: a scrape before any create: the pool's gauges, every family typed"

# ---- three guests: one from the pool (PV), two built directly (PVH; PV
# with a vif, which the flavor has not)
cd $UK || fail "unikernel images not installed"
out=$(chaos create --daemon counter-pv.cfg name=m-one) || fail_log "create m-one: $out"
echo "$out" | grep -q 'from the pool' || fail_log "m-one not from the pool: $out"
one=$(domid_of "$out")
out=$(chaos create --daemon counter-pvh.cfg name=m-two) || fail_log "create m-two: $out"
two=$(domid_of "$out")
cat >$DIR/m-http.cfg <<CFG
name = "m-http"
type = "pv"
kernel = "$UK/http"
memory = 8
vif = [ 'bridge=chaosbr0' ]
cmdline = "ip=10.0.0.2/24 name=m-http"
CFG
out=$(chaos create --daemon $DIR/m-http.cfg) || fail_log "create m-http: $out"
web=$(domid_of "$out")
cd / || fail "cd /"
wait_for 60 "grep -q listening /var/log/chaos/console/m-http.log" || fail_log "m-http does not listen"
page=""
for _ in 1 2 3 4 5; do
    # (no -T: busybox 1.35 static wget segfaults with it; timeout instead)
    page=$(timeout 5 wget -q -O - http://10.0.0.2/ 2>&1) && break
    sleep 1
done
echo "$page" | grep -q m-http || fail_log "m-http did not answer: '$page'"
# The pool refills: wait, so that the list below is stable.
wait_for 60 "[ \"\$(pool_col m-pv 6)\" = 1 ]" || fail_log "the pool did not refill"

M=$(scrape) || fail_log "scrape failed"
[ "$(metric 'chaosd_creates_total{path="pool"}')" = 1 ] || fail_log "pool creates: $M"
[ "$(metric 'chaosd_creates_total{path="direct"}')" = 2 ] || fail_log "direct creates: $M"
[ "$(metric 'chaosd_create_duration_seconds_count{path="pool"}')" = 1 ] || fail_log "histogram count: $M"
[ "$(metric 'chaosd_create_duration_seconds_bucket{path="direct",le="+Inf"}')" = 2 ] ||
    fail_log "histogram +Inf: $M"
[ "$(metric 'chaosd_pool_handed_out_total{flavor="m-pv",kind="create"}')" = 1 ] || fail_log "handed out: $M"
[ "$(metric chaosd_guests_served)" = 3 ] || fail_log "guests served: $M"
echo "$M" | grep '^chaosd_guest_\|^chaosd_creates_total\|seconds_count\|^chaosd_vif'
for c in tx_bytes tx_packets rx_bytes rx_packets; do
    v=$(metric "chaosd_vif_${c}_total{domid=\"$web\",name=\"m-http\",vif=\"0\"}")
    [ "${v:-0}" -gt 0 ] || fail_log "m-http's vif $c is '$v' after a page was fetched"
done
echo "$M" | grep -q "^chaosd_vif_.*name=\"m-one\"" && fail_log "m-one has no vif but has vif samples"

# Per-guest samples against `chaos list --json`: the same guests (every
# named domain but Domain-0), domids, names and memory.
from_metrics=$(echo "$M" | sed -n 's/^chaosd_guest_memory_bytes{domid="\([0-9]*\)",name="\([^"]*\)"} \([0-9]*\)$/\1 \2 \3/p' |
    awk '{ print $1, $2, int($3 / 1048576) }' | sort)
from_list=$(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
    sed -n 's/.*"domid":\([0-9]*\),"name":"\([^"][^"]*\)".*"memory_mib":\([0-9]*\),.*/\1 \2 \3/p' |
    awk '$2 != "Domain-0"' | sort)
echo "metrics: $(echo "$from_metrics" | tr '\n' ';')  list: $(echo "$from_list" | tr '\n' ';')"
[ -n "$from_list" ] || fail_log "no guests in chaos list"
[ "$from_metrics" = "$from_list" ] ||
    fail_log "guests in the metrics [$from_metrics] differ from chaos list's [$from_list]"
echo "$from_metrics" | grep -q "^$one m-one " || fail_log "m-one ($one) not in the metrics"
echo "$from_metrics" | grep -q "^$two m-two " || fail_log "m-two ($two) not in the metrics"
cpu=$(metric "chaosd_guest_cpu_seconds_total{domid=\"$one\",name=\"m-one\"}")
[ -n "$cpu" ] || fail_log "no CPU time for m-one"
[ "$(metric "chaosd_guest_info{domid=\"$two\",name=\"m-two\",state=\"running\"}")" = 1 ] ||
    [ "$(metric "chaosd_guest_info{domid=\"$two\",name=\"m-two\",state=\"blocked\"}")" = 1 ] ||
    fail_log "m-two's state: $(echo "$M" | grep chaosd_guest_info)"
echo "ok: after three creates: creates by path, histogram, guests served; per-guest samples match chaos list ($cpu s CPU for m-one); m-http's vif counted its traffic"

# ---- what is not a scrape
s=$(status_of 'GET / HTTP/1.0\r\n\r\n'); [ "$s" = "HTTP/1.0 404 Not Found" ] || fail_log "GET /: '$s'"
s=$(status_of 'POST /metrics HTTP/1.0\r\n\r\n'); [ "$s" = "HTTP/1.0 405 Method Not Allowed" ] || fail_log "POST: '$s'"
s=$(status_of 'hello\r\n\r\n'); [ "$s" = "HTTP/1.0 400 Bad Request" ] || fail_log "garbage: '$s'"
s=$(status_of "GET /metrics HTTP/1.0\r\nX: $(head -c 5000 /dev/zero | tr '\0' a)\r\n\r\n")
[ "$s" = "HTTP/1.0 431 Request Header Fields Too Large" ] || fail_log "5000-byte header: '$s'"
s=$(status_of 'HEAD /metrics HTTP/1.0\r\n\r\n'); [ "$s" = "HTTP/1.0 200 OK" ] || fail_log "HEAD: '$s'"
# A client that sends nothing (for 8 s) holds no scrape up.
(sleep 8 | nc 127.0.0.1 $PORT >/dev/null) &
SILENT=$!
sleep 1
t0=$(now_ms)
scrape >/dev/null || fail_log "scrape beside a silent client failed"
echo "ok: 404, 405, 400, 431 and HEAD answered; a scrape beside a silent client took $(( $(now_ms) - t0 )) ms"

# ---- chaos top
T=$(chaos top -b -n 1 -d 0.5) || fail "chaos top -b -n 1 failed"
echo "$T"
echo "$T" | head -n 1 | grep -q '^NAME  *ID  *STATE  *CPU(sec)  *CPU(%)  *MEM(MiB)' || fail "top's header: $T"
lines=$(echo "$T" | sed 1d | wc -l)
[ "$lines" = "$(domain_count)" ] || fail "top shows $lines domains, chaos list $(domain_count): $T"
echo "$T" | awk -v id="$one" '$1 == "m-one" && $2 == id { f = 1 } END { exit !f }' || fail "m-one ($one) not in top: $T"
echo "$T" | awk -v id="$two" '$1 == "m-two" && $2 == id { f = 1 } END { exit !f }' || fail "m-two ($two) not in top: $T"
echo "$T" | awk '$1 == "Domain-0" { f = 1 } END { exit !f }' || fail "Domain-0 not in top: $T"
[ "$(chaos top -b -n 2 -d 0.2 | grep -c '^NAME ')" = 2 ] || fail "top -n 2 did not print two tables"
J=$(chaos top --json -n 1 -d 0.2) || fail "top --json failed"
[ "$(echo "$J" | wc -l)" = 1 ] || fail "top --json -n 1 printed more than one line: $J"
echo "$J" | grep -q "\"domid\":$one,\"name\":\"m-one\"" || fail "m-one not in top --json: $J"
echo "$J" | grep -q '"cpu_percent":' || fail "no cpu_percent in top --json: $J"
out=$(chaos top -n 0 2>&1) && fail "top -n 0 accepted"
echo "$out" | grep -q 'at least 1' || fail "top -n 0: $out"
echo "ok: chaos top -b -n 1: header and one line per domain, the guests by name; --json; -n 0 refused"

# ---- stop
wait $SILENT 2>/dev/null
chaos destroy m-one || fail_log "destroy m-one"
chaos destroy m-two || fail_log "destroy m-two"
chaos destroy m-http || fail_log "destroy m-http"
kill -TERM $PID
wait $PID
st=$?
[ $st = 0 ] || fail_log "chaosd exited with $st on SIGTERM"
scrape >/dev/null 2>&1 && fail "the metrics socket still answers after chaosd stopped"
expect_nothing_left
rm -rf $DIR
echo "ok: SIGTERM closed the metrics socket; nothing left"
