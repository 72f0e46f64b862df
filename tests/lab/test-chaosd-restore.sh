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
# - a PVH image goes in place into a shell of the in-place flavor
#   (restore = "in-place": RAM populated and zeroed ahead), twice from the
#   same image (two guests, both counting on from where it stopped; the
#   second from the image chaosd kept open); with no in-place shell idle
#   it falls back to the empty PVH restore shell; a PV image never takes
#   an in-place shell; a damaged PVH image leaves the in-place shell in
#   its pool and nothing else behind;
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
pools_full() {
    [ "$(pool_col restore-pv 6)" = 2 ] && [ "$(pool_col restore-pvh 6)" = 1 ] &&
        [ "$(pool_col inplace-pvh 6)" = "${INPLACE_SIZE:-1}" ]
}
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
[flavor inplace-pvh]
type = "pvh"
memory = 4
pool = 1
restore = "in-place"
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >>$LOG 2>&1 &
PID=$!
wait_for 120 pools_full || fail_log "restore pools did not fill: $(chaos pool 2>&1)"
chaos pool
echo "ok: restore pools filled (2 PV + 1 PVH shells, no memory; 1 PVH in-place shell)"

# restore_as IMAGE NAME FLAVOR SAVED: IMAGE restored as NAME into a shell
# of FLAVOR, counts on from SAVED (the count when it was saved).
restore_as() {
    out=$(chaos restore --timings $DIR/"$1".img name="$2") || fail_log "restore $2: $out"
    echo "$out"
    echo "$out" | grep -q "into a shell of flavor $3" || fail_log "$2: not from pool $3: $out"
    counts_past "$2" "$4" 60 || fail_log "$2: does not count past $4: $(tail -n 5 "$(log_of "$2")")"
    first=$(tr -d '\r' <"$(log_of "$2")" | sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' |
        awk -v s="$4" '$1 > s { print; exit }')
    [ "$first" = $(($4 + 1)) ] || fail_log "$2: after $4 the restored counter printed $first"
    grep -q "resumed in a new domain" "$(log_of "$2")" || fail_log "$2: the counter did not say it resumed"
    echo "ok: $1 restored as $2 into a $3 shell, counting on from $4 ($first next)"
}
# restore_pool NAME FLAVOR: restored under its own name (same log).
restore_pool() { restore_as "$1" "$1" "$2" "$(last_count "$1")"; }
restore_pool rp-pv restore-pv
echo "$out" | grep -q "in place" && fail_log "a PV image was restored in place: $out"
echo "ok: a PV image does not take the in-place flavor's shell"
PVH_SAVED=$(last_count rp-pvh)
restore_pool rp-pvh inplace-pvh
echo "$out" | grep -q "in place into a shell of flavor inplace-pvh" ||
    fail_log "rp-pvh: not restored in place: $out"
wait_for 60 pools_full || fail_log "restore pools did not refill: $(chaos pool)"
echo "ok: the pools refilled"
# The same image again, a second guest: in place, from the image chaosd
# kept open (mapped and indexed at the first restore).
restore_as rp-pvh rp-pvh2 inplace-pvh "$PVH_SAVED"
echo "$out" | grep -q "in place" || fail_log "rp-pvh2: not restored in place: $out"
grep -q 'restored rp-pvh2 .* image kept open' $LOG || fail_log "rp-pvh2: the image was not kept open"
wait_for 60 pools_full || fail_log "restore pools did not refill: $(chaos pool)"
echo "ok: two guests restored in place from one image, the image opened once"
# No in-place shell idle: the empty PVH restore shell takes it.
chaos pool set inplace-pvh 0 >/dev/null || fail_log "pool set inplace-pvh 0"
INPLACE_SIZE=0
wait_for 30 pools_full || fail_log "the in-place pool did not shrink: $(chaos pool)"
chaos destroy rp-pvh2 || fail_log "destroy rp-pvh2"
restore_as rp-pvh rp-pvh3 restore-pvh "$PVH_SAVED"
echo "$out" | grep -q "in place" && fail_log "rp-pvh3: restored in place from an empty pool: $out"
chaos destroy rp-pvh3 || fail_log "destroy rp-pvh3"
chaos pool set inplace-pvh 1 >/dev/null || fail_log "pool set inplace-pvh 1"
INPLACE_SIZE=1
wait_for 60 pools_full || fail_log "restore pools did not refill: $(chaos pool)"
echo "ok: with no in-place shell idle, a PVH image falls back to an empty restore shell"

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

# ---- a damaged PVH image: the in-place shell stays in its pool
DOMS=$(domain_count)
HANDED=$(pool_col inplace-pvh 8)
SHELLS=$(shells)
size=$(wc -c <$DIR/rp-pvh.img)
cp $DIR/rp-pvh.img $DIR/bad-pvh.img
printf 'XXXX' | dd of=$DIR/bad-pvh.img bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
out=$(chaos restore $DIR/bad-pvh.img name=rp-bad-pvh 2>&1) && fail_log "damaged PVH image accepted: $out"
echo "$out" | grep -q 'does not match its checksum' || fail_log "damaged PVH image: $out"
sleep 1
[ "$(domain_count)" = "$DOMS" ] || fail_log "a damaged PVH image left a domain: $(chaos list)"
pools_full || fail_log "a pool lost a shell: $(chaos pool)"
[ "$(pool_col inplace-pvh 8)" = "$HANDED" ] || fail_log "the damaged image counted as handed out: $(chaos pool)"
[ "$(shells)" = "$SHELLS" ] || fail_log "the shells changed: $(shells), before: $SHELLS"
[ ! -e "$(log_of rp-bad-pvh)" ] || fail_log "a damaged PVH image left a console log"
rm -f $DIR/bad-pvh.img
echo "ok: damaged PVH image refused ($out); the in-place shell stayed in its pool, nothing left"

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
