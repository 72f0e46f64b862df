#!/bin/sh
# Template pools with a vif (issue 13 §1): the unikernel `http` demo (PV)
# booted once on chaosbr0 until it listens, saved, and the pool filled
# with 2 guests restored from it, paused, each with a TAP on the bridge
# and a MAC of its own;
# - two creates with different mac= and ip= take one each (path
#   "template"): each guest resumes as the request's address and MAC
#   (its console says so), announces itself, and answers wget from dom0
#   at its own address; dom0's neighbour table holds each at its MAC;
# - a create naming a MAC already in use is refused, and leaves no
#   domain, record or TAP of its own;
# - destroyed, then chaosd stopped: no domain, no TAP, no template image,
#   and chaosd's descriptors are back to their count before the creates.
# shellcheck source=template-vif-lib.sh
. /lab/tests/template-vif-lib.sh
UK=/usr/local/libexec/chaos/unikernel
DIR=/tmp/chaosd-template-vif
LOG=$DIR/chaosd.log
RUN=${CHAOS_RUN_DIR:-/run/chaos}
TPL_LOG=/var/log/chaos/console/chaosd-template-web.log
[ -x $UK/http ] || fail "unikernel http not installed"
command -v chaosd >/dev/null || fail "chaosd not installed"
rm -rf $DIR
mkdir -p $DIR

bridge_up chaosbr0 10.0.0.1/24


# guest_cfg NAME VIFSPEC: the template's config under another name.
guest_cfg() {
    cat <<CFG
name = "$1"
type = "pv"
kernel = "$UK/http"
memory = 8
vif = [ '$2' ]
cmdline = "ip=10.0.0.2/24 name=tpl-web"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
}
guest_cfg tv-template bridge=chaosbr0 >$DIR/template.cfg

cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 64
[flavor web]
type = "pv"
memory = 8
template = "$DIR/template.cfg"
template_ready = "http: listening on"
template_timeout_s = 120
pool = 2
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 180 pool_full || fail_log "the template pool did not fill: $(chaos pool 2>&1)"
chaos pool
grep -q 'http: listening on 10.0.0.2:80' $TPL_LOG || fail_log "the template did not listen"
[ "$(ports)" = 2 ] || fail_log "$(ports) TAP ports on chaosbr0 for 2 pooled guests"
[ "$(macs | uniq | wc -l)" = 2 ] || fail_log "the pooled guests' MACs are not 2 different ones: $(macs)"
echo "ok: template built ($(grep -o 'template built in [0-9.]* s' $LOG)); 2 paused guests, TAPs on chaosbr0, MACs $(macs | tr '\n' ' ')"
FDS0=$(fds)
fdlist >$DIR/fds0

# create NAME VIFSPEC: through chaosd, from the template pool.
create() {
    guest_cfg "$1" "$2" >$DIR/"$1".cfg
    rm -f "$(log_of "$1")"
    out=$(chaos create --daemon --json $DIR/"$1".cfg 2>&1) || fail_log "create $1: $out"
    echo "$out" | grep -q '"path": *"template"' || fail_log "$1: path is not template: $out"
    echo "ok: $1 from the template pool: $(echo "$out" | sed -n 's/.*"timings": *//p')"
}
# check NAME IP MAC: resumed as IP with MAC, answers wget, dom0 sees MAC.
check() {
    wait_for 60 "grep -q 'http: resumed as $2/24, mac $3' $(log_of "$1") 2>/dev/null" ||
        fail_log "$1 did not resume as $2 ($3): $(cat "$(log_of "$1")" 2>&1)"
    page=""
    for _ in 1 2 3 4 5; do
        page=$(timeout 5 wget -q -O - "http://$2/" 2>&1) && break
        sleep 1
    done
    echo "$page" | grep -q "chaos unikernel" ||
        fail_log "$1: GET http://$2/ did not return the page: '$page'; console: $(tail -n 5 "$(log_of "$1")")"
    awk -v ip="$2" -v mac="$3" '$1 == ip && $4 == mac && $6 == "chaosbr0" { ok = 1 } END { exit !ok }' /proc/net/arp ||
        fail_log "$1: dom0's neighbour table lacks $2 at $3: $(cat /proc/net/arp)"
    echo "ok: $1 answered wget at $2 from $3"
}
create tv-1 bridge=chaosbr0,mac=00:16:3e:5a:00:01,ip=10.0.0.11/24
create tv-2 bridge=chaosbr0,mac=00:16:3e:5a:00:02,ip=10.0.0.12/24
check tv-1 10.0.0.11 00:16:3e:5a:00:01
check tv-2 10.0.0.12 00:16:3e:5a:00:02
# Both still answer, each at its own address (no MAC or address taken
# from the other).
check tv-1 10.0.0.11 00:16:3e:5a:00:01
wait_for 60 pool_full || fail_log "the template pool did not refill: $(chaos pool)"
[ "$(grep -c 'template pool web: template built' $LOG)" = 1 ] || fail_log "refilling booted the template again"

# tv-1's MAC again: refused, nothing of that request left.
tpl_refuses_mac tv-bad bridge=chaosbr0,mac=00:16:3e:5a:00:01,ip=10.0.0.13/24 00:16:3e:5a:00:01 60

tpl_end tv-1 tv-2
echo "ok: nothing left (domains, memory, TAPs, template image)"
