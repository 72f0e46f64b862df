#!/bin/sh
# Restores through chaosd's restore flavors (docs/chaosd.md, "Restore
# flavors"; docs/snapshot.md):
# - the `counter` unikernel saved (PV and PVH), restored with `chaos
#   restore` while chaosd runs: into a shell of the matching restore
#   flavor, and it counts on from where it stopped, into the same log;
# - the pool refills after each restore;
# - an image no restore flavor fits (memory = 8) is restored by chaosd
#   directly, and says so; `--direct` restores without chaosd;
# - a damaged image is refused before the shell is touched: no domain
#   left, the pool keeps its shells (none handed out, none prepared anew);
# - SIGTERM destroys the idle restore shells; nothing is left.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
DIR=/tmp/chaosd-restore
LOG=/tmp/chaosd-restore.log
[ -x $UK/counter ] || fail "unikernel counter not installed"
command -v chaosd >/dev/null || fail "chaosd not installed"
rm -rf $DIR
mkdir -p $DIR
: >$LOG
snapshot

fail_log() { echo "--- chaosd log:"; tail -n 40 $LOG; fail "$*"; }
log_of() { echo "/var/log/chaos/console/$1.log"; }
last_count() { tr -d '\r' <"$(log_of "$1")" | sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' | tail -n 1; }
counts_past() { wait_for "$3" "[ \"\$(last_count $1)\" -gt $2 ] 2>/dev/null"; }
# pool_col FLAVOR COLUMN: a column of `chaos pool` (6 idle, 8 handed out)
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }
pools_full() { [ "$(pool_col restore-pv 6)" = 2 ] && [ "$(pool_col restore-pvh 6)" = 1 ]; }
# The paused domains (the idle shells), their ids on one line.
shells() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep '"state":"paused"' |
        sed -n 's/.*"domid":\([0-9]*\).*/\1/p' | sort | tr '\n' ' '
}

# save_counter NAME TYPE MEMORY: a counter created, counting, saved to
# $DIR/NAME.img (chaos directly: chaosd does not run yet).
save_counter() {
    rm -f "$(log_of "$1")"
    cat >$DIR/"$1".cfg <<CFG
name = "$1"
type = "$2"
kernel = "$UK/counter"
memory = $3
cmdline = "interval_ms=200"
CFG
    out=$(chaos create --direct $DIR/"$1".cfg) || fail "create $1: $out"
    counts_past "$1" 3 60 || fail "$1 does not count: $(cat "$(log_of "$1")")"
    out=$(chaos save "$1" $DIR/"$1".img 2>&1) || fail "save $1: $out"
    echo "$out"
    wait_for 10 "[ -z \"\$(dom_field $(domid_of "$out") state)\" ]" || true
}
save_counter rp-pv pv 4
save_counter rp-pvh pvh 4
save_counter rp-big pv 8
ls -l $DIR/*.img

# ---- chaosd with restore flavors only
cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 64
[flavor restore-pv]
type = "pv"
memory = 4
pool = 2
restore = "yes"
[flavor restore-pvh]
type = "pvh"
memory = 4
pool = 1
restore = "yes"
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >>$LOG 2>&1 &
PID=$!
wait_for 120 pools_full || fail_log "restore pools did not fill: $(chaos pool 2>&1)"
chaos pool
echo "ok: restore pools filled (2 PV + 1 PVH shells, no memory)"

# restore_pool NAME FLAVOR: restored into a shell of FLAVOR, counts on.
restore_pool() {
    saved=$(last_count "$1")
    out=$(chaos restore --timings $DIR/"$1".img) || fail_log "restore $1: $out"
    echo "$out"
    echo "$out" | grep -q "into a shell of flavor $2" || fail_log "$1: not from pool $2: $out"
    counts_past "$1" "$saved" 60 || fail_log "$1: does not count past $saved: $(tail -n 5 "$(log_of "$1")")"
    first=$(tr -d '\r' <"$(log_of "$1")" | sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' |
        awk -v s="$saved" '$1 > s { print; exit }')
    [ "$first" = $((saved + 1)) ] || fail_log "$1: after $saved the restored counter printed $first"
    grep -q "resumed in a new domain" "$(log_of "$1")" || fail_log "$1: the counter did not say it resumed"
    echo "ok: $1 restored into a $2 shell, counting on from $saved ($first next, same log)"
}
restore_pool rp-pv restore-pv
restore_pool rp-pvh restore-pvh
wait_for 60 pools_full || fail_log "restore pools did not refill: $(chaos pool)"
echo "ok: the pools refilled"

# ---- no restore flavor fits: chaosd restores directly
out=$(chaos restore $DIR/rp-big.img) || fail_log "restore rp-big: $out"
echo "$out"
echo "$out" | grep -q 'by chaosd directly' || fail_log "rp-big: expected the direct path: $out"
counts_past rp-big "$(last_count rp-big)" 60 || fail_log "rp-big does not count"
echo "ok: an image no flavor fits restored directly by chaosd"

# ---- a damaged image: refused, nothing left, the pool untouched
DOMS=$(domain_count)
HANDED=$(pool_col restore-pv 8)
SHELLS=$(shells)
size=$(wc -c <$DIR/rp-pv.img)
cp $DIR/rp-pv.img $DIR/bad.img
printf 'XXXX' | dd of=$DIR/bad.img bs=1 seek=$((size - 5000)) conv=notrunc 2>/dev/null
out=$(chaos restore $DIR/bad.img name=rp-bad 2>&1) && fail_log "damaged image accepted: $out"
echo "$out" | grep -q 'does not match its checksum' || fail_log "damaged image: $out"
sleep 1
[ "$(domain_count)" = "$DOMS" ] || fail_log "a damaged image left a domain: $(chaos list)"
pools_full || fail_log "the pool lost a shell: $(chaos pool)"
[ "$(pool_col restore-pv 8)" = "$HANDED" ] || fail_log "the damaged image counted as handed out: $(chaos pool)"
[ "$(shells)" = "$SHELLS" ] || fail_log "the shells changed: $(shells), before: $SHELLS"
echo "ok: damaged image refused ($out); no domain left, the pool kept its shells"

# ---- --direct: libchaos itself, although chaosd runs
chaos destroy rp-pv || fail "destroy rp-pv"
wait_for 10 "! chaos list | grep -q ' rp-pv '" || true
out=$(chaos restore --direct $DIR/rp-pv.img name=rp-local) || fail "--direct: $out"
echo "$out" | grep -q 'restored domain rp-local' || fail "--direct output: $out"
echo "$out" | grep -q chaosd && fail "--direct went through chaosd: $out"
counts_past rp-local 1 60 || fail "rp-local does not count"
echo "ok: --direct restores without chaosd"

# ---- stop: guests keep running, idle shells go; then clean up
for g in rp-pvh rp-big rp-local; do chaos destroy $g || fail "destroy $g"; done
kill -TERM $PID
wait $PID
st=$?
[ $st = 0 ] || fail_log "chaosd exited with $st on SIGTERM"
expect_nothing_left
echo "ok: SIGTERM destroyed the idle restore shells; nothing left"
grep restored $LOG
