#!/bin/sh
# Template pools of a tinyx Linux service (issue 13 §1): the lab's
# httpd-pv image (Debian's kernel, busybox httpd, --net on chaosbr0,
# PV) booted once until it serves, saved, and the pool filled with 2
# guests restored from it, paused, each with a TAP and a MAC of its own;
# - two creates with their own mac= and ip= take one each (path
#   "template"): chaosd rewrites what each guest's private store will
#   serve (the vif's mac, the back end's ip key) before it first runs;
#   each resumes, netfront reconnects with the new MAC, tinyx's /init
#   (tinyx-netwatch) moves eth0 to the new address and sends a
#   gratuitous ARP; each answers wget from dom0 at its own address, and
#   dom0's neighbour table holds it at its MAC;
# - a create naming a MAC already in use is refused, leaving nothing of
#   its own;
# - destroyed, then chaosd stopped: no domain, no TAP, no template image,
#   and chaosd's descriptors are back to their count before the creates.
# shellcheck source=template-vif-lib.sh
. /lab/tests/template-vif-lib.sh
DIR=/tmp/chaosd-template-linux
LOG=$DIR/chaosd.log
tinyx_service_setup

bridge_up chaosbr0 10.0.0.1/24

guest_cfg() { tinyx_cfg "$@"; }
guest_cfg tl-template bridge=chaosbr0 >$DIR/template.cfg

cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 512
[flavor web]
type = "pv"
memory = 128
template = "$DIR/template.cfg"
template_ready = "tinyx-httpd: serving"
template_timeout_s = 120
pool = 2
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 180 pool_full || fail_log "the template pool did not fill: $(chaos pool 2>&1)"
chaos pool
grep -q 'tinyx: eth0 is 10.0.0.2/24' $TPL_LOG || fail_log "the template did not take its address"
[ "$(ports)" = 2 ] || fail_log "$(ports) TAP ports on chaosbr0 for 2 pooled guests"
[ "$(macs | uniq | wc -l)" = 2 ] || fail_log "the pooled guests' MACs are not 2 different ones: $(macs)"
echo "ok: template built ($(grep -o 'template built in [0-9.]* s' $LOG)); 2 paused guests, TAPs on chaosbr0, MACs $(macs | tr '\n' ' ') ($(($(now_ms) - T0)) ms)"
FDS0=$(fds)
fdlist >$DIR/fds0

# create NAME VIFSPEC: through chaosd, from the template pool; the time
# from the request to the first page served at IP.
create() {
    guest_cfg "$1" "$2" >$DIR/"$1".cfg
    rm -f "$(log_of "$1")"
    CREATE_T0=$(now_ms)
    out=$(chaos create --daemon --json $DIR/"$1".cfg 2>&1) || fail_log "create $1: $out"
    echo "$out" | grep -q '"path": *"template"' || fail_log "$1: path is not template: $out"
    echo "ok: $1 from the template pool in $(($(now_ms) - CREATE_T0)) ms: $(echo "$out" | sed -n 's/.*"timings": *//p')"
}
# first_page IP: polls http://IP/ (every ~0.1 s, up to 60 s) until the
# page comes; prints the ms since CREATE_T0 (the benchmark's measure).
first_page() {
    limit=$(($(now_ms) + 60000))
    until timeout 2 wget -q -O - "http://$1/" 2>/dev/null | grep -q "tinyx lab page"; do
        [ "$(now_ms)" -ge $limit ] && return 1
        sleep 0.1
    done
    echo $(($(now_ms) - CREATE_T0))
}
# serves NAME IP MAC: resumed as IP with MAC, answers wget, dom0 sees MAC.
serves() {
    wait_for 60 "tr -d '\r' <$(log_of "$1") 2>/dev/null | grep -q 'tinyx: resumed: eth0 is $2/24, mac $3'" ||
        fail_log "$1 did not resume as $2 ($3): $(tr -d '\r' <"$(log_of "$1")" 2>&1 | tail -n 15)"
    page=""
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        page=$(timeout 5 wget -q -O - "http://$2/" 2>&1) && break
        sleep 1
    done
    echo "$page" | grep -q "tinyx lab page: busybox httpd" ||
        fail_log "$1: GET http://$2/ did not return the page: '$page'; console: $(tr -d '\r' <"$(log_of "$1")" | tail -n 5)"
    awk -v ip="$2" -v mac="$3" '$1 == ip && $4 == mac && $6 == "chaosbr0" { ok = 1 } END { exit !ok }' /proc/net/arp ||
        fail_log "$1: dom0's neighbour table lacks $2 at $3: $(cat /proc/net/arp)"
    echo "ok: $1 answered wget at $2 from $3"
}
create tl-1 bridge=chaosbr0,mac=00:16:3e:5b:00:01,ip=10.0.0.11/24
ms=$(first_page 10.0.0.11) || fail_log "tl-1 served no page at 10.0.0.11 in 60 s: $(tr -d '\r' <"$(log_of tl-1)" | tail -n 10)"
echo "ok: tl-1: first page at its address $ms ms after the create request (BENCH template-first-page-ms $ms)"
serves tl-1 10.0.0.11 00:16:3e:5b:00:01
create tl-2 bridge=chaosbr0,mac=00:16:3e:5b:00:02,ip=10.0.0.12/24
ms=$(first_page 10.0.0.12) || fail_log "tl-2 served no page at 10.0.0.12 in 60 s: $(tr -d '\r' <"$(log_of tl-2)" | tail -n 10)"
echo "ok: tl-2: first page at its address $ms ms after the create request (BENCH template-first-page-ms $ms)"
serves tl-2 10.0.0.12 00:16:3e:5b:00:02
# Both still answer, each at its own address.
serves tl-1 10.0.0.11 00:16:3e:5b:00:01
wait_for 120 pool_full || fail_log "the template pool did not refill: $(chaos pool)"
[ "$(grep -c 'template pool web: template built' $LOG)" = 1 ] || fail_log "refilling booted the template again"

# tl-1's MAC again: refused, nothing of that request left.
tpl_refuses_mac tl-bad bridge=chaosbr0,mac=00:16:3e:5b:00:01,ip=10.0.0.13/24 00:16:3e:5b:00:01 120

tpl_end tl-1 tl-2
echo "ok: nothing left (domains, memory, TAPs, template image) in $(($(now_ms) - T0)) ms"
