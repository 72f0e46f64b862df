# shellcheck shell=sh
# What the template-pool tests with a vif share (test-chaosd-template-vif.sh,
# test-chaosd-template-linux.sh): chaosd's view of the pool
# "web", the refusal of a MAC in use, and the end with nothing left.
# The test sets LOG, RUN, TPL_LOG and DIR, defines guest_cfg NAME VIFSPEC,
# starts chaosd as $PID and sets FDS0 (fds before the creates, and
# fdlist's lines in $DIR/fds0).
# shellcheck source=lib.sh
. /lab/tests/lib.sh

fail_log() {
    echo "--- chaosd log:"
    tail -n 40 "$LOG"
    echo "--- template console:"
    tail -n 15 "$TPL_LOG" 2>/dev/null | tr -d '\r'
    fail "$*"
}
log_of() { echo "/var/log/chaos/console/$1.log"; }
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }
pool_full() { [ "$(pool_col web 6)" = 2 ] && [ "$(pool_col web 7)" = 0 ]; }
ports() { find /sys/class/net/chaosbr0/brif -mindepth 1 -maxdepth 1 -name 'vif*' | wc -l; }
# The MACs chaos's device records give the guests' vifs, one a line.
macs() { cat "$RUN"/domains/*.dev 2>/dev/null | awk '$1 == "net" { print $5 }' | sort; }
# shellcheck disable=SC2153 # PID is chaosd's, set by the test
fds() { find /proc/"$PID"/fd -mindepth 1 -maxdepth 1 | wc -l; }
# chaosd's descriptors, "FD TARGET" per line (what a failure names).
fdlist() { for f in /proc/"$PID"/fd/*; do echo "${f##*/} $(readlink "$f")"; done | sort; }

# tinyx_service_setup: what the tests of the lab's tinyx Linux service
# (httpd-pv: test-chaosd-template-linux.sh, -warm.sh) start with, once they
# set DIR: IMG, RUN, TPL_LOG (the template "web"'s console) and T0 set, DIR
# made afresh, chaosd and the image checked.
tinyx_service_setup() {
    IMG=/lab/tinyx/httpd-pv
    [ -d $IMG ] || IMG=/lab/share/files/tinyx/httpd-pv
    RUN=${CHAOS_RUN_DIR:-/run/chaos}
    TPL_LOG=/var/log/chaos/console/chaosd-template-web.log
    [ -f $IMG/guest.cfg ] || fail "no $IMG/guest.cfg (make lab-tinyx-images on the host)"
    command -v chaosd >/dev/null || fail "chaosd not installed"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    # shellcheck disable=SC2034 # the test's
    T0=$(now_ms)
}
# tinyx_cfg NAME VIFSPEC: the image's config under another name, with
# another vif, in 128 MiB (as the lab's other Linux guests; 64 is too
# small for Debian's PV kernel to load).
tinyx_cfg() {
    sed -e "s|^name *=.*|name = \"$1\"|" -e "s|^vif *=.*|vif = [ '$2' ]|" \
        -e "s|^memory *=.*|memory = 128|" -e "s|/lab/tinyx/httpd-pv/|$IMG/|" \
        "$IMG/guest.cfg"
}

# tpl_refuses_mac NAME VIFSPEC MAC SECONDS: a create of NAME with VIFSPEC,
# whose MAC is a running guest's, is refused naming MAC, and within
# SECONDS the pool is full again with no domain or TAP of its own left.
tpl_refuses_mac() {
    doms=$(domain_count)
    n_ports=$(ports)
    guest_cfg "$1" "$2" >"$DIR/$1.cfg"
    out=$(chaos create --daemon "$DIR/$1.cfg" 2>&1) && fail_log "a MAC in use was accepted: $out"
    echo "$out" | grep -q "MAC $3 is already used on bridge chaosbr0" ||
        fail_log "the refusal does not name the MAC: $out"
    chaos list | grep -q "$1" && fail_log "$1 exists: $(chaos list)"
    wait_for "$4" "pool_full && [ \$(domain_count) = $doms ] && [ \$(ports) = $n_ports ]" ||
        fail_log "after the refusal: $(domain_count) domains (not $doms), $(ports) ports (not $n_ports)"
    echo "ok: a MAC in use was refused ($out); the pool refilled, nothing else left"
}

# tpl_end GUEST...: the guests destroyed (the pools' TAPs left: POOL_PORTS,
# default 2; chaosd's descriptors back to
# FDS0), chaosd stopped by SIGTERM: no domain, memory, TAP, interface or
# template image left.
tpl_end() {
    for g in "$@"; do chaos destroy "$g" || fail_log "destroy $g"; done
    wait_for 20 "[ \$(ports) = ${POOL_PORTS:-2} ]" || fail_log "$(ports) TAP ports after the destroys, not the pools' ${POOL_PORTS:-2}"
    wait_for 20 "[ \$(fds) = $FDS0 ]" ||
        fail_log "chaosd holds $(fds) descriptors, $FDS0 before the creates; new: $(fdlist | grep -vxF -f "$DIR/fds0" | tr '\n' ' ')"
    echo "ok: destroyed; chaosd's descriptors back to $FDS0"
    kill -TERM "$PID"
    wait "$PID"
    st=$?
    [ $st = 0 ] || fail_log "chaosd exited with $st on SIGTERM"
    ls "$RUN"/chaosd/templates/* >/dev/null 2>&1 && fail_log "template files left: $(ls "$RUN"/chaosd/templates)"
    [ "$(ports)" = 0 ] || fail "$(ports) TAP ports left on chaosbr0 after chaosd stopped"
    expect_nothing_left
    [ "$(links)" = "$LINKS" ] || fail "interfaces left: before '$LINKS', after '$(links)'"
}
