#!/bin/sh
# Warm template pools (issue 13 §1, the tinyx Linux service's 50x): the
# lab's httpd-pv image booted once until it serves and saved, as in
# test-chaosd-template-linux.sh, but the pool's 2 guests are resumed
# ahead (template_warm): each restored guest is given an address of its
# own (template_warm_ip: 10.0.128.0 + its domain id, /16), runs until its
# console says "tinyx: resumed", and is paused again, served meanwhile by
# a supervisor chaosd keeps;
# - two creates naming no MAC and no address each take one (path
#   "template", "warm": true, the reply's vifs give its MAC and address):
#   renamed (its console log with it), unpaused, each answers wget at its
#   address at once, and dom0's neighbour table holds it at its MAC;
# - waiting in the pool, a warm guest is paused, its log is its
#   chaosd-tpl name's; once taken that log is the guest's own name's;
# - destroyed, then chaosd stopped: no domain, TAP, template image, pool
#   guest's log or lock file left, and chaosd's descriptors back to their
#   count before the creates;
# - a chaosd killed with a warm guest in its pool: the next one destroys
#   it as an idle shell, with its TAP and its pool log.
# shellcheck source=template-vif-lib.sh
. /lab/tests/template-vif-lib.sh
DIR=/tmp/chaosd-template-warm
LOG=$DIR/chaosd.log
tinyx_service_setup
CONSOLE=/var/log/chaos/console

# dom0 on the warm guests' /16 (the template's own 10.0.0.2 is in it too).
bridge_up chaosbr0 10.0.0.1/16
echo 50 >/proc/sys/net/ipv4/neigh/chaosbr0/retrans_time_ms
LOGS0=$(find $CONSOLE -name 'chaosd-tpl-*' 2>/dev/null | wc -l)
LOCKS0=$(find "$RUN"/supervisors -type f 2>/dev/null | wc -l)

guest_cfg() { tinyx_cfg "$@"; }
guest_cfg tw-template bridge=chaosbr0 >$DIR/template.cfg
# The unikernel http, warm as well: its address comes in its noxs page.
uk_cfg() {
    cat <<CFG
name = "$1"
type = "pv"
kernel = "/usr/local/libexec/chaos/unikernel/http"
memory = 8
vcpus = 1
vif = [ 'bridge=chaosbr0' ]
cmdline = "ip=10.0.0.3/16 name=web"
CFG
}
uk_cfg tw-uk-template >$DIR/uk-template.cfg

cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 512
[flavor web]
type = "pv"
memory = 128
template = "$DIR/template.cfg"
template_ready = "tinyx-httpd: serving"
template_timeout_s = 120
template_warm = "tinyx: resumed"
template_warm_ip = "10.0.128.0/16"
pool = 2
[flavor ukw]
type = "pv"
memory = 8
template = "$DIR/uk-template.cfg"
template_ready = "http: listening on"
template_warm = "resumed as"
template_warm_ip = "10.0.128.0/16"
pool = 1
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 240 "pool_full && [ \"\$(pool_col ukw 6)\" = 1 ]" || fail_log "the warm pools did not fill: $(chaos pool 2>&1)"
chaos pool
grep -q 'tinyx: eth0 is 10.0.0.2/24' $TPL_LOG || fail_log "the template did not take its address"
[ "$(ports)" = 3 ] || fail_log "$(ports) TAP ports on chaosbr0 for 3 pooled guests"
# Each pooled guest: paused, resumed once at its own address (its log).
for id in $(chaos list | awk '$1 ~ /^chaosd-tpl-/ { print $2 }'); do
    name=$(chaos domname "$id")
    chaos list | awk -v n="$name" '$1 == n && $5 ~ /p/ { ok = 1 } END { exit !ok }' ||
        fail_log "pooled guest $name is not paused: $(chaos list)"
    tr -d '\r' <"$(log_of "$name")" | grep -Eq "(tinyx: resumed: eth0 is|http: resumed as) 10.0.128.$id/16" ||
        fail_log "pooled guest $name (domain $id) did not resume at 10.0.128.$id: $(tr -d '\r' <"$(log_of "$name")" | tail -n 5)"
done
echo "ok: templates built ($(grep -o 'template built in [0-9.]* s' $LOG | tr '\n' ' ')); 3 guests resumed at their addresses and paused ($(($(now_ms) - T0)) ms)"
FDS0=$(fds)
fdlist >$DIR/fds0

# create NAME [CFG-FUNCTION]: through chaosd, a bridge and no address
# (the config guest_cfg's, or the function's); sets IP (the
# reply's, without its length), MAC and MS (from the request to the first
# page at IP, wget polled every 20 ms).
create() {
    ${2:-guest_cfg} "$1" bridge=chaosbr0 >$DIR/"$1".cfg
    rm -f "$(log_of "$1")"
    t0=$(now_ms)
    out=$(chaos create --daemon --json $DIR/"$1".cfg 2>&1) || fail_log "create $1: $out"
    IP=$(echo "$out" | sed -n 's/.*"ip": *"\([0-9.]*\).*/\1/p')
    until timeout 2 wget -q -O /dev/null "http://$IP/" 2>/dev/null; do
        [ $(($(now_ms) - t0)) -lt 30000 ] || fail_log "$1 did not answer in 30 s: $out; its console: $(tr -d '\r' <"$(log_of "$1")" | tail -n 8)"
        sleep 0.02
    done
    MS=$(($(now_ms) - t0))
    echo "$out" | grep -q '"path": *"template"' || fail_log "$1: path is not template: $out"
    echo "$out" | grep -q '"warm": *true' || fail_log "$1: not a warm guest: $out"
    MAC=$(echo "$out" | sed -n 's/.*"mac": *"\([0-9a-f:]*\)".*/\1/p')
    id=$(echo "$out" | sed -n 's/.*"domid": *\([0-9]*\).*/\1/p')
    [ "$IP" = "10.0.128.$id" ] || fail_log "$1 (domain $id): address '$IP', not 10.0.128.$id: $out"
    [ -n "$MAC" ] || fail_log "$1: no MAC in the reply: $out"
    echo "ok: $1 from the warm pool: answered at $IP ($MAC) $MS ms after the create request (BENCH warm-first-page-ms $MS)"
}
# serves NAME: its log is its own (with the resume in it), no pool name's
# log is left for it, wget's page, dom0's neighbour table at its MAC.
serves() {
    tr -d '\r' <"$(log_of "$1")" | grep -q "tinyx: resumed: eth0 is $2/16, mac $3" ||
        fail_log "$1's log $(log_of "$1") lacks its resume as $2 ($3): $(ls $CONSOLE)"
    page=$(timeout 5 wget -q -O - "http://$2/" 2>&1)
    echo "$page" | grep -q "tinyx lab page: busybox httpd" ||
        fail_log "$1: GET http://$2/ did not return the page: '$page'"
    awk -v ip="$2" -v mac="$3" '$1 == ip && $4 == mac && $6 == "chaosbr0" { ok = 1 } END { exit !ok }' /proc/net/arp ||
        fail_log "$1: dom0's neighbour table lacks $2 at $3: $(cat /proc/net/arp)"
    echo "ok: $1 answered wget at $2 from $3; its console log is $(log_of "$1")"
}
create tw-1
IP1=$IP MAC1=$MAC
serves tw-1 "$IP1" "$MAC1"
wait_for 120 pool_full || fail_log "the warm pool did not refill: $(chaos pool)"
create tw-2
IP2=$IP MAC2=$MAC
if [ "$IP1" = "$IP2" ] || [ "$MAC1" = "$MAC2" ]; then
    fail_log "tw-1 and tw-2 share an address or MAC: $IP1/$MAC1, $IP2/$MAC2"
fi
serves tw-2 "$IP2" "$MAC2"
serves tw-1 "$IP1" "$MAC1"
wait_for 120 pool_full || fail_log "the warm pool did not refill: $(chaos pool)"
[ "$(grep -c 'template pool web: template built' $LOG)" = 1 ] || fail_log "refilling booted the template again"
grep -q "created tw-1 (.*) from template pool web in .*, resumed ahead" $LOG ||
    fail_log "chaosd's log does not say tw-1 was resumed ahead"

# The unikernel: its page gave it the address (kept in the device record
# when its supervisor served the page again before it resumed).
create tw-uk uk_cfg
tr -d '\r' <"$(log_of tw-uk)" | grep -q "http: resumed as $IP/16, mac $MAC" ||
    fail_log "tw-uk's log lacks its resume as $IP ($MAC): $(tr -d '\r' <"$(log_of tw-uk)" | tail -n 5)"
wait_for 60 "[ \"\$(pool_col ukw 6)\" = 1 ]" || fail_log "the unikernel's warm pool did not refill"
# What `chaos create` says without --json: the pool, and the address.
uk_cfg tw-uk2 >"$DIR/tw-uk2.cfg"
out=$(chaos create --daemon "$DIR/tw-uk2.cfg" 2>&1) || fail_log "create tw-uk2: $out"
echo "$out" | grep -q "from the template pool of flavor ukw" || fail_log "tw-uk2: $out"
echo "$out" | grep -Eq "^resumed ahead: address 10\.0\.128\.[0-9]+/16, mac 00:16:3e:" ||
    fail_log "tw-uk2: no address in the output: $out"
echo "ok: chaos create says: $(echo "$out" | tr '\n' ' ')"

POOL_PORTS=3
tpl_end tw-1 tw-2 tw-uk tw-uk2
n=$(find $CONSOLE -name 'chaosd-tpl-*' | wc -l)
[ "$n" = "$LOGS0" ] || fail "pooled guests' console logs left: $(ls $CONSOLE)"
n=$(find "$RUN"/supervisors -type f 2>/dev/null | wc -l)
[ "$n" = "$LOCKS0" ] || fail "supervisor lock files left: $(ls "$RUN"/supervisors)"
echo "ok: nothing left (domains, memory, TAPs, template image, pool logs, locks) in $(($(now_ms) - T0)) ms"

# A chaosd killed with a warm guest in its pool: the next one (no flavors)
# destroys that guest as an idle shell, and its pool log goes with it.
sed -n '1,/^pool = 2$/p' $DIR/chaosd.conf | sed '/^\[flavor web\]/,$d' >$DIR/none.conf
cp $DIR/none.conf $DIR/ukw.conf
sed -n '/^\[flavor ukw\]/,$p' $DIR/chaosd.conf >>$DIR/ukw.conf
chaosd --config $DIR/ukw.conf >$DIR/chaosd2.log 2>&1 &
PID=$!
wait_for 120 "[ \"\$(pool_col ukw 6)\" = 1 ]" || fail "the warm pool did not fill again: $(tail -n 5 $DIR/chaosd2.log)"
[ "$(find $CONSOLE -name 'chaosd-tpl-*' | wc -l)" = $((LOGS0 + 1)) ] || fail "no pool log for the warm guest: $(ls $CONSOLE)"
kill -KILL $PID
wait $PID 2>/dev/null
chaosd --config $DIR/none.conf >$DIR/chaosd3.log 2>&1 &
PID=$!
# Its log says "ready" once its loop (and its SIGTERM handler) runs.
wait_for 60 "grep -q 'chaosd: ready' $DIR/chaosd3.log" || fail "chaosd not ready: $(cat $DIR/chaosd3.log)"
grep -q 'recovered: .* 1 idle shells' $DIR/chaosd3.log ||
    fail "the killed chaosd's warm guest was not recovered: $(cat $DIR/chaosd3.log)"
kill -TERM $PID
wait $PID || fail "chaosd exited with $? on SIGTERM"
n=$(find $CONSOLE -name 'chaosd-tpl-*' | wc -l)
[ "$n" = "$LOGS0" ] || fail "a killed chaosd's warm guest left its log: $(ls $CONSOLE)"
ls "$RUN"/chaosd/templates/* >/dev/null 2>&1 && fail "template files left: $(ls "$RUN"/chaosd/templates)"
expect_nothing_left
[ "$(links)" = "$LINKS" ] || fail "interfaces left: before '$LINKS', after '$(links)'"
echo "ok: a killed chaosd's warm guest destroyed by the next one, its TAP and log removed"
