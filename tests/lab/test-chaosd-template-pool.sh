#!/bin/sh
# Template pools (issue 13 §1; chaosd.conf(5) template, template_ready):
# - chaosd boots the `counter` unikernel once until it prints "counter 2",
#   saves it (the template) and fills the pool with 2 guests restored from
#   it, paused (Xen says so), under chaosd's names;
# - a create of the same config with another name takes one (path
#   "template"): renamed and unpaused, it goes on from where the template
#   was saved ("resumed in a new domain", then counts past 2) into its own
#   console log; the pool refills from the same template (no second boot);
# - another command line does not fit: built directly (path "direct");
# - the kernel file rewritten: the next create is not served from the
#   stale template ("direct"), the template is built again from the new
#   file, and the create after that is "template" again;
# - each pool guest's supervisor was prepared when it was restored (its
#   console ring and device page mapped) and begun by its create: no
#   word in chaosd's log of a fallback to an ordinary start;
# - SIGTERM destroys the idle guests and removes the template's image;
# - a flavor whose guest never prints its ready line: the build times out
#   and leaves no domain and no image;
# - nothing is left (domains, memory).
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
DIR=/tmp/chaosd-template-pool
LOG=$DIR/chaosd.log
RUN=${CHAOS_RUN_DIR:-/run/chaos}
TPL_LOG=/var/log/chaos/console/chaosd-template-ctr.log
[ -x $UK/counter ] || fail "unikernel counter not installed"
command -v chaosd >/dev/null || fail "chaosd not installed"
rm -rf $DIR
mkdir -p $DIR
snapshot

fail_log() {
    echo "--- chaosd log:"
    tail -n 40 $LOG
    echo "--- template console:"
    tail -n 5 $TPL_LOG 2>/dev/null
    fail "$*"
}
log_of() { echo "/var/log/chaos/console/$1.log"; }
pool_col() { chaos pool 2>/dev/null | awk -v f="$1" -v c="$2" '$1 == f { print $c }'; }
pool_full() { [ "$(pool_col ctr 6)" = 2 ] && [ "$(pool_col ctr 7)" = 0 ]; }
# The pool's guests: chaosd's names, paused.
pool_guests() {
    chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
        grep '"name":"chaosd-tpl-[0-9a-f]*"' | grep -c '"state":"paused"'
}
builds() { grep -c 'template pool ctr: template built' $LOG; }
# A copy of the kernel: the test rewrites it.
cp $UK/counter $DIR/counter

# guest_cfg NAME CMDLINE: the template's config under another name.
guest_cfg() {
    cat <<CFG
name = "$1"
type = "pv"
kernel = "$DIR/counter"
memory = 4
cmdline = "$2"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
}
CMD=interval_ms=200
guest_cfg tp-template $CMD >$DIR/template.cfg

cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 64
[flavor ctr]
type = "pv"
memory = 4
template = "$DIR/template.cfg"
template_ready = "counter 2"
template_timeout_s = 120
pool = 2
CONF
chaosd --check-config --config $DIR/chaosd.conf || fail "config refused"
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 180 pool_full || fail_log "the template pool did not fill: $(chaos pool 2>&1)"
chaos pool
[ "$(builds)" = 1 ] || fail_log "template built $(builds) times"
grep -q 'counter 2' $TPL_LOG || fail_log "the template's console lacks its ready line"
[ "$(pool_guests)" = 2 ] || fail_log "not 2 paused guests of the template: $(chaos list)"
ls "$RUN"/chaosd/templates/ctr.*.chaos >/dev/null 2>&1 || fail_log "no template image in $RUN/chaosd/templates"
echo "ok: template built once ($(grep -o 'template built in [0-9.]* s' $LOG)); 2 paused guests restored from it"

# create NAME CMDLINE PATH: created through chaosd, the reply's path is PATH.
create() {
    guest_cfg "$1" "$2" >$DIR/"$1".cfg
    rm -f "$(log_of "$1")"
    out=$(chaos create --daemon --json $DIR/"$1".cfg 2>&1) || fail_log "create $1: $out"
    echo "$out" | grep -q "\"path\": *\"$3\"" || fail_log "$1: path is not $3: $out"
    echo "ok: $1 from path $3: $(echo "$out" | sed -n 's/.*"timings": *//p')"
}
create tp-1 $CMD template
# It runs on from the template's state: it says it woke in a new domain
# and counts past the line it was saved at.
wait_for 60 "grep -q 'resumed in a new domain' $(log_of tp-1) 2>/dev/null" ||
    fail_log "tp-1 did not resume: $(cat "$(log_of tp-1)" 2>&1)"
wait_for 60 "grep -Eq '^counter ([4-9]|[1-9][0-9]+)' $(log_of tp-1) 2>/dev/null" ||
    fail_log "tp-1 does not count on: $(cat "$(log_of tp-1)" 2>&1)"
grep -q 'counter: every' "$(log_of tp-1)" && fail_log "tp-1 booted anew instead of resuming"
grep -q 'created tp-1 .* from template pool ctr' $LOG || fail_log "chaosd's log does not say template pool"
echo "ok: tp-1 resumed where the template was saved: $(grep -m1 '^counter' "$(log_of tp-1)")"
wait_for 60 pool_full || fail_log "the template pool did not refill: $(chaos pool)"
[ "$(builds)" = 1 ] || fail_log "refilling booted the template again"
echo "ok: refilled from the same template"

create tp-2 "$CMD x=1" direct
echo "ok: another command line was built directly"

# The kernel rewritten (new mtime and size): the template is stale.
cat $UK/counter >$DIR/counter.new
printf '\0' >>$DIR/counter.new
mv $DIR/counter.new $DIR/counter
create tp-3 $CMD direct
grep -q "template pool ctr: $DIR/counter changed since the template was built" $LOG ||
    fail_log "no word of the stale template in chaosd's log"
wait_for 180 "[ \$(builds) = 2 ] && pool_full" || fail_log "the template was not built again: $(chaos pool)"
create tp-4 $CMD template
wait_for 60 "grep -q 'resumed in a new domain' $(log_of tp-4) 2>/dev/null" ||
    fail_log "tp-4 did not resume: $(cat "$(log_of tp-4)" 2>&1)"
echo "ok: a rewritten kernel made the template stale; it was built again from the new file"

grep -q 'created tp-1 .* from template pool ctr .*, its supervisor prepared ahead' $LOG ||
    fail_log "tp-1: no supervisor was prepared when it was restored"
if grep -E 'not prepared ahead|prepared supervisor did not begin' $LOG; then
    fail_log "a template guest's supervisor was not prepared, or did not begin"
fi
echo "ok: the template guests were served by supervisors prepared when they were restored"

for g in tp-1 tp-2 tp-3 tp-4; do chaos destroy $g || fail_log "destroy $g"; done
kill -TERM $PID
wait $PID
st=$?
[ $st = 0 ] || fail_log "chaosd exited with $st on SIGTERM"
ls "$RUN"/chaosd/templates/* >/dev/null 2>&1 && fail_log "template files left: $(ls "$RUN"/chaosd/templates)"
expect_nothing_left
echo "ok: SIGTERM destroyed the idle guests and removed the template; nothing left"

# A guest that never says it is ready: the build times out, cleanly.
cat >$DIR/chaosd.conf <<CONF
idle_memory_mib = 64
[flavor ctr]
type = "pv"
memory = 4
template = "$DIR/template.cfg"
template_ready = "never printed"
template_timeout_s = 5
pool = 1
CONF
chaosd --config $DIR/chaosd.conf >$LOG 2>&1 &
PID=$!
wait_for 60 "grep -q 'building the template failed: no console line holding \"never printed\" within 5 s' $LOG" ||
    fail_log "the build did not time out"
wait_for 10 "! chaos list | grep -q chaosd-template-ctr" || fail_log "the template's domain was left: $(chaos list)"
kill -TERM $PID
wait $PID
st=$?
[ $st = 0 ] || fail_log "chaosd exited with $st on SIGTERM"
ls "$RUN"/chaosd/templates/* >/dev/null 2>&1 && fail_log "template files left: $(ls "$RUN"/chaosd/templates)"
expect_nothing_left
echo "ok: a template that never gets ready times out and leaves nothing"
rm -rf $DIR $TPL_LOG
for g in tp-1 tp-2 tp-3 tp-4; do rm -f "$(log_of $g)"; done
