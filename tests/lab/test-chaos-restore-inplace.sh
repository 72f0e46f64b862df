#!/bin/sh
# chaos restore --in-place on real Xen (docs/snapshot.md, "In-place
# restore"): a PVH guest restored into a shell whose RAM is populated and
# zeroed first, only the image's non-zero pages copied in.
# - The `counter` unikernel (PVH) saved, restored in place, counts on from
#   where it stopped, into the same console log; the restored guest saves
#   and restores in place again.
# - Images the in-place reader must refuse, each with a valid CRC so that
#   the stream itself is what is judged: not a migration stream, a stream
#   cut short, a PV image; and a stream that fails once the shell exists
#   (its pages do not fit a smaller shell): clear errors, nothing left.
# - Side by side in this lab run: the restore proper (stream_ms: memory and
#   CPU state in) through xc_domain_restore and in place, same image.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
IMG=/lab/bin/lab-snap-image
DIR=/tmp/chaos-inplace
RUN=${CHAOS_RUN_DIR:-/run/chaos}
[ -x $UK/counter ] || fail "unikernel counter not installed"
[ -x $IMG ] || fail "$IMG missing (make lab-programs)"
rm -rf $DIR
mkdir -p $DIR

state() { find "$RUN"/domains "$RUN"/names -mindepth 1 2>/dev/null | sort | tr '\n' ' '; }
snapshot
STATE=$(state)
expect_clean() {
    expect_nothing_left
    [ "$(state)" = "$STATE" ] || fail "$1: records left: $(state), before: $STATE"
}
restore_error() {
    label=$1 pattern=$2
    shift 2
    out=$(chaos restore --in-place "$@" 2>&1) && fail "$label: accepted: $out"
    echo "$out" | grep -q -- "$pattern" || fail "$label: message lacks '$pattern': $out"
    expect_clean "$label"
    echo "ok: $label: $out"
}
log_of() { echo "/var/log/chaos/console/$1.log"; }
last_count() { tr -d '\r' <"$(log_of "$1")" | sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' | tail -n 1; }
counts_past() { wait_for "$3" "[ \"\$(last_count $1)\" -gt $2 ] 2>/dev/null"; }
# json_field JSON KEY: a number from chaos restore --json.
json_field() { echo "$1" | sed -n "s/.*\"$2\": *\([0-9.]*\).*/\1/p"; }

name=inplace-counter
rm -f "$(log_of $name)"
cat >$DIR/$name.cfg <<CFG
name = "$name"
type = "pvh"
kernel = "$UK/counter"
memory = 4
cmdline = "interval_ms=200"
CFG
out=$(chaos create $DIR/$name.cfg) || fail "chaos create counter: $out"
id=$(domid_of "$out")
counts_past $name 3 60 || fail "counter does not count: $(cat "$(log_of $name)")"
out=$(chaos save $name $DIR/$name.img 2>&1) || fail "save: $out"
echo "$out"
wait_for 10 "[ -z \"\$(dom_field $id state)\" ]" || fail "domain $id still there after save"
saved=$(last_count $name)

# ---- Images the in-place reader refuses (valid CRCs) --------------------
show=$($IMG show $DIR/$name.img) || fail "lab-snap-image show"
echo "$show"
hs=$(echo "$show" | sed -n 's/.* header \([0-9]*\) .*/\1/p')
tail -c +$((hs + 1)) $DIR/$name.img >$DIR/stream
slen=$(wc -c <$DIR/stream)
head -c 65536 /dev/urandom >$DIR/junk
$IMG wrap $DIR/junk.img $DIR/$name.cfg $DIR/junk pvh || fail "wrap junk"
restore_error "not a migration stream" "not a Xen migration stream" $DIR/junk.img
head -c $((slen - 5000)) $DIR/stream >$DIR/cut
$IMG wrap $DIR/cut.img $DIR/$name.cfg $DIR/cut pvh || fail "wrap cut"
restore_error "a stream cut short" "truncated" $DIR/cut.img
sed 's/"pvh"/"pv"/' $DIR/$name.cfg >$DIR/pv.cfg
$IMG wrap $DIR/pv.img $DIR/pv.cfg $DIR/stream pv || fail "wrap pv"
restore_error "a PV image" "for PVH guests" $DIR/pv.img
# A shell of 2 MiB: the image's pages above 2 MiB are not the shell's
# RAM, and populating them exceeds its limit, after the domain exists.
sed 's/^memory = 4$/memory = 2/' $DIR/$name.cfg >$DIR/small.cfg
$IMG wrap $DIR/small.img $DIR/small.cfg $DIR/stream pvh || fail "wrap small"
restore_error "pages that do not fit the shell" "outside the shell's RAM failed" $DIR/small.img
size=$(wc -c <$DIR/$name.img)
head -c $((size - 100)) $DIR/$name.img >$DIR/truncated.img
restore_error "a truncated image" "truncated" $DIR/truncated.img

# ---- The counter restored in place counts on ----------------------------
out=$(chaos restore --in-place --timings $DIR/$name.img) || fail "restore --in-place: $out"
echo "$out"
rid=$(domid_of "$out")
counts_past $name "$saved" 30 || fail "restored counter does not count past $saved: $(tail -n 5 "$(log_of $name)")"
grep -q "resumed in a new domain" "$(log_of $name)" || fail "the counter did not say it resumed"
first=$(tr -d '\r' <"$(log_of $name)" | sed -n 's/^counter \([0-9][0-9]*\)$/\1/p' |
    awk -v s="$saved" '$1 > s { print; exit }')
[ "$first" = $((saved + 1)) ] || fail "after $saved the restored counter printed $first"
echo "ok: restored in place as domain $rid, counting on from $saved ($first next, same log)"

# Saved again, and restored in place again.
out=$(chaos save $name $DIR/$name-2.img 2>&1) || fail "second save: $out"
wait_for 10 "[ -z \"\$(dom_field $rid state)\" ]" || fail "domain $rid still there after save"
saved=$(last_count $name)
out=$(chaos restore --in-place $DIR/$name-2.img) || fail "second restore --in-place: $out"
rid=$(domid_of "$out")
counts_past $name "$saved" 30 || fail "twice restored counter does not count past $saved"
echo "ok: saved again and restored in place again as domain $rid"
chaos destroy "$rid" || fail "destroy $rid"
expect_clean "round trips"

# ---- Side by side: xc_domain_restore and in place, same image -----------
# Paused (-p) and destroyed at once: the restore alone is measured.
RUNS=5
for i in $(seq $RUNS); do
    for mode in classic inplace; do
        flag=--direct
        [ $mode = inplace ] && flag=--in-place
        out=$(chaos restore -p --json $flag $DIR/$name.img name=bench-$mode) ||
            fail "bench $mode: $out"
        echo "bench $mode $i: $out"
        bid=$(json_field "$out" domid)
        chaos destroy "$bid" || fail "destroy $bid"
        echo "$mode $(json_field "$out" stream_ms) $(json_field "$out" prepare_ms) $(json_field "$out" check_ms) $(json_field "$out" restore_ms)" >>$DIR/bench
        wait_for 10 "[ \"\$(domain_count)\" = \"$SNAP_DOMS\" ]" || fail "bench: domain left"
    done
done
for mode in classic inplace; do
    awk -v m=$mode '$1 == m { n++; mem += $2; prep += $3; chk += $4; all += $5
        if (n == 1 || $2 < min) min = $2; if ($2 > max) max = $2 }
        END { printf "bench: %s: restore proper (stream_ms) mean %.2f min %.2f max %.2f; prepare %.2f, check %.2f, whole %.2f ms (%d runs)\n",
              m, mem / n, min, max, prep / n, chk / n, all / n, n }' $DIR/bench
done
expect_clean "benchmark"
rm -rf $DIR # dom0's /tmp is RAM, shared with the tests after this one
echo "ok: in-place restore"
