#!/bin/sh
# The xl verbs operators use (issue 14 §3), on real Xen: domid, domname,
# rename, list -l, vcpu-list, mem-max, mem-set, reboot, each with --help,
# --json where it prints data, and xl's exit codes (1: unknown domain, bad
# value, name in use; 2: usage).  A unikernel guest (counter: no XenStore,
# no balloon driver) and a Linux guest (its private store: memory/target
# followed by its balloon driver, `name` after a rename).  Nothing is left
# behind: no domain, no memory, no name entry.  A guest chaosd serves keeps
# a new name through its restart.  Last, Debian's xl gives the same exit
# codes for the same bad input.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
snapshot
UK=/usr/local/libexec/chaos/unikernel
NAMES=${CHAOS_RUN_DIR:-/run/chaos}/names

# expect_rc LABEL WANT CMD...: CMD exits with WANT; says what it printed.
expect_rc() {
    label=$1 want=$2
    shift 2
    out=$("$@" 2>&1)
    rc=$?
    [ "$rc" = "$want" ] || fail "$label: exit $rc, want $want: $out"
    echo "ok: $label: exit $rc: $out"
}
# The id chaos domid gives for name $1 (empty if none).
id_of() { chaos domid "$1" 2>/dev/null; }

for v in reboot domid domname rename mem-set mem-max vcpu-list; do
    chaos "$v" --help | grep -q "^Usage: chaos $v" || fail "chaos $v --help"
    chaos --help | grep -q "^  $v " || fail "chaos --help lacks $v"
done
chaos list --help | grep -q -- "-l, --long" || fail "chaos list --help lacks -l"
echo "ok: --help for every verb"

# ---------------------------------------------------------------- unikernel
out=$(chaos create "$UK/counter-pv.cfg" kernel=$UK/counter name=vb-uk \
      on_reboot=restart) || fail "chaos create vb-uk: $out"
id=$(domid_of "$out")
out=$(chaos create "$UK/hello-pv.cfg" kernel=$UK/hello name=vb-other \
      cmdline=sleep_ms=600000) || fail "chaos create vb-other: $out"
other=$(domid_of "$out")

# domid, domname
[ "$(chaos domid vb-uk)" = "$id" ] || fail "chaos domid vb-uk: $(chaos domid vb-uk 2>&1), want $id"
[ "$(chaos domname "$id")" = vb-uk ] || fail "chaos domname $id: $(chaos domname "$id" 2>&1)"
[ "$(chaos domname 0)" = Domain-0 ] || fail "chaos domname 0: $(chaos domname 0 2>&1)"
[ "$(chaos domid Domain-0)" = 0 ] || fail "chaos domid Domain-0"
[ "$(chaos domid --json vb-uk)" = "{\"domid\":$id,\"name\":\"vb-uk\"}" ] ||
    fail "chaos domid --json: $(chaos domid --json vb-uk)"
[ "$(chaos domname --json "$id")" = "{\"domid\":$id,\"name\":\"vb-uk\"}" ] ||
    fail "chaos domname --json: $(chaos domname --json "$id")"
echo "ok: domid/domname: vb-uk is $id, both ways, text and JSON"
expect_rc "domid of an unknown name" 1 chaos domid nosuch
expect_rc "domname of an unknown id" 1 chaos domname 4242
expect_rc "domname of a non-number" 1 chaos domname abc
expect_rc "domid without a name" 2 chaos domid
expect_rc "domname with two ids" 2 chaos domname 1 2

# list -l: each guest's configuration as chaos kept it
out=$(chaos list -l) || fail "chaos list -l: $out"
echo "$out" | grep -q '^    name = "vb-uk"' || fail "list -l lacks vb-uk's config: $out"
echo "$out" | grep -q '^    on_reboot = "restart"' || fail "list -l lacks on_reboot: $out"
echo "$out" | grep -q '^Domain-0 ' || fail "list -l lacks Domain-0: $out"
chaos list -l --json | grep -q '"config": *".*name = \\"vb-uk\\"' ||
    fail "list -l --json lacks vb-uk's config: $(chaos list -l --json)"
expect_rc "list with an argument" 2 chaos list -l vb-uk
echo "ok: list -l and list -l --json show the kept configuration"

# vcpu-list
out=$(chaos vcpu-list vb-uk) || fail "chaos vcpu-list vb-uk: $out"
echo "$out"
echo "$out" | head -n 1 | grep -q "Affinity (Hard / Soft)" || fail "vcpu-list header: $out"
echo "$out" | grep -Eq "^vb-uk +$id +0 +[0-9]+ +[-r][-b]- +[0-9.]+  all / all$" ||
    fail "vcpu-list row of vb-uk: $out"
chaos vcpu-list | grep -q '^Domain-0 ' || fail "vcpu-list (all) lacks Domain-0: $(chaos vcpu-list)"
chaos vcpu-list --json vb-uk | tr -d '\n ' | grep -q "\"domid\":$id,\"name\":\"vb-uk\",\"vcpu\":0,\"online\":true,\"cpu\":[0-9]*,.*\"hard_affinity\":\[0" ||
    fail "vcpu-list --json: $(chaos vcpu-list --json vb-uk)"
expect_rc "vcpu-list of an unknown domain" 1 chaos vcpu-list vb-uk nosuch
expect_rc "vcpu-list with a bad option" 2 chaos vcpu-list --bogus
echo "ok: vcpu-list"

# mem-max and mem-set on a guest without a balloon driver
chaos mem-max vb-uk 8m || fail "chaos mem-max vb-uk 8m"
[ "$(dom_field "$id" maxmem_mib)" = 9 ] ||
    fail "maxmem after mem-max 8m: $(dom_field "$id" maxmem_mib) MiB, want 9 (8 + 1 of slack)"
echo "ok: mem-max vb-uk 8m: Xen's limit is 9 MiB"
expect_rc "mem-max below what it owns" 1 chaos mem-max vb-uk 1m
expect_rc "mem-max with a bad size" 1 chaos mem-max vb-uk 12abc
expect_rc "mem-max of an unknown domain" 1 chaos mem-max nosuch 8m
expect_rc "mem-max without a size" 2 chaos mem-max vb-uk
[ "$(dom_field "$id" maxmem_mib)" = 9 ] || fail "a refused mem-max changed the limit"
expect_rc "mem-set without a balloon driver" 1 chaos mem-set vb-uk 4m
echo "$out" | grep -q "no balloon driver" || fail "mem-set's refusal does not say why: $out"
expect_rc "mem-set above the maximum" 1 chaos mem-set vb-uk 1g
expect_rc "mem-set with a bad size" 1 chaos mem-set vb-uk -5
expect_rc "mem-set of Domain-0 (not chaos's guest)" 1 chaos mem-set 0 4m
expect_rc "mem-max of Domain-0" 1 chaos mem-max 0 64g

# rename: refused whole, or done whole
expect_rc "rename to a name in use" 1 chaos rename vb-uk vb-other
echo "$out" | grep -q "already exists" || fail "unclear refusal: $out"
if [ "$(id_of vb-uk)" != "$id" ] || [ "$(id_of vb-other)" != "$other" ]; then
    fail "a refused rename changed names: vb-uk=$(id_of vb-uk) vb-other=$(id_of vb-other)"
fi
expect_rc "rename to a bad name" 1 chaos rename vb-uk "a/b"
expect_rc "rename of an unknown domain" 1 chaos rename nosuch vb-x
expect_rc "rename of Domain-0" 1 chaos rename 0 vb-x
expect_rc "rename with one argument" 2 chaos rename vb-uk
[ -e "$NAMES/vb-x" ] && fail "a refused rename left a name entry"
chaos rename vb-uk vb-renamed || fail "chaos rename vb-uk vb-renamed"
[ "$(id_of vb-renamed)" = "$id" ] || fail "vb-renamed is not $id: $(chaos list)"
[ -z "$(id_of vb-uk)" ] || fail "the old name still finds a domain"
[ -e "$NAMES/vb-uk" ] && fail "the old name's entry is still in $NAMES"
[ "$(chaos domname "$id")" = vb-renamed ] || fail "domname after rename: $(chaos domname "$id")"
chaos list -l | grep -q '^    name = "vb-renamed"' || fail "the kept config has the old name: $(chaos list -l)"
chaos rename "$id" vb-renamed || fail "renaming to its own name failed"
# The old name is free for another guest.
chaos rename vb-other vb-uk || fail "the released name cannot be taken"
chaos rename vb-uk vb-other || fail "rename back to vb-other"
echo "ok: rename: vb-uk -> vb-renamed ($id); its old name is free"

# reboot (the same request as shutdown -R): on_reboot = restart brings the
# guest back, with a new id and the name it was renamed to.
expect_rc "reboot of an unknown domain" 1 chaos reboot nosuch
expect_rc "reboot without a domain" 2 chaos reboot
chaos reboot vb-renamed || fail "chaos reboot vb-renamed"
wait_for 60 "[ -n \"\$(id_of vb-renamed)\" ] && [ \"\$(id_of vb-renamed)\" != $id ]" ||
    fail "vb-renamed did not come back after reboot: $(chaos list); monitor: $(cat /var/log/chaos/console/vb-uk.monitor.log)"
new=$(id_of vb-renamed)
[ -z "$(dom_field "$id" state)" ] || fail "the rebooted domain $id is still there"
echo "ok: reboot: vb-renamed went from domain $id to $new (on_reboot = restart, the new name kept)"

chaos destroy vb-renamed || fail "chaos destroy vb-renamed"
chaos destroy vb-other || fail "chaos destroy vb-other"
expect_nothing_left
for f in "$NAMES"/vb-*; do
    [ -e "$f" ] && fail "name entry left: $f"
done
echo "ok: unikernel guests gone, no name entries left"

# -------------------------------------------------------------------- Linux
cat >/tmp/vb-linux.cfg <<CFG
name = "vb-linux"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet lab.wait"
memory = 128
maxmem = 192
CFG
rm -f /var/log/chaos/console/vb-linux.log
out=$(chaos create /tmp/vb-linux.cfg) || fail "chaos create vb-linux: $out"
lid=$(domid_of "$out")
wait_for 300 "grep -q CHAOS-LAB-GUEST-WAITING /var/log/chaos/console/vb-linux.log" ||
    fail "vb-linux did not boot: $(tail -n 10 /var/log/chaos/console/vb-linux.log)"
xsr() { XENSTORED_PATH=/run/chaos/store/$lid.sock xenstore-read "$1"; }
[ "$(xsr /local/domain/"$lid"/memory/static-max)" = 196608 ] ||
    fail "static-max at start: $(xsr /local/domain/"$lid"/memory/static-max)"
expect_rc "mem-set above the maximum" 1 chaos mem-set vb-linux 193m
chaos mem-set vb-linux 96m || fail "chaos mem-set vb-linux 96m"
[ "$(xsr /local/domain/"$lid"/memory/target)" = 98304 ] ||
    fail "memory/target: $(xsr /local/domain/"$lid"/memory/target)"
wait_for 120 "[ \"\$(dom_field $lid memory_mib)\" -le 100 ]" ||
    fail "the guest did not balloon down to 96 MiB: $(dom_field "$lid" memory_mib) MiB"
echo "ok: mem-set vb-linux 96m: the balloon driver gave memory back ($(dom_field "$lid" memory_mib) MiB)"
chaos mem-max vb-linux 256m || fail "chaos mem-max vb-linux 256m"
[ "$(xsr /local/domain/"$lid"/memory/static-max)" = 262144 ] ||
    fail "static-max after mem-max: $(xsr /local/domain/"$lid"/memory/static-max)"
[ "$(dom_field "$lid" maxmem_mib)" = 257 ] || fail "maxmem after mem-max: $(dom_field "$lid" maxmem_mib)"
chaos mem-set vb-linux 160m || fail "chaos mem-set vb-linux 160m (under the new maximum)"
wait_for 120 "[ \"\$(dom_field $lid memory_mib)\" -ge 150 ]" ||
    fail "the guest did not balloon up: $(dom_field "$lid" memory_mib) MiB"
echo "ok: mem-max vb-linux 256m, then mem-set 160m: it took memory back ($(dom_field "$lid" memory_mib) MiB)"
chaos rename vb-linux vb-linux2 || fail "chaos rename vb-linux vb-linux2"
[ "$(xsr /local/domain/"$lid"/name)" = vb-linux2 ] || fail "the store's name: $(xsr /local/domain/"$lid"/name)"
echo "ok: rename: the guest's store says vb-linux2"
chaos shutdown -w vb-linux2 || fail "chaos shutdown -w vb-linux2"
expect_nothing_left
echo "ok: Linux guest gone"

# ------------------------------------------------------------------ chaosd
# A guest chaosd serves: rename needs no request to chaosd (the registry is
# what everyone reads); chaosd's supervisor takes the new name when it acts,
# so its restart after a reboot keeps it.
cat >/tmp/vb-chaosd.conf <<CONF
socket = "/run/chaos/chaosd.sock"
ready_timeout_s = 60
CONF
/usr/local/sbin/chaosd --config /tmp/vb-chaosd.conf >/tmp/vb-chaosd.log 2>&1 &
CHAOSD=$!
wait_for 60 "[ -S /run/chaos/chaosd.sock ]" || fail "chaosd does not listen: $(cat /tmp/vb-chaosd.log)"
out=$(chaos create --daemon "$UK/counter-pv.cfg" kernel=$UK/counter name=vb-d \
      on_reboot=restart) || fail "chaos create --daemon vb-d: $out"
did=$(id_of vb-d)
[ -n "$did" ] || fail "vb-d is not there: $out; $(chaos list)"
chaos rename vb-d vb-d2 || fail "chaos rename vb-d vb-d2"
chaos reboot vb-d2 || fail "chaos reboot vb-d2"
wait_for 60 "[ -n \"\$(id_of vb-d2)\" ] && [ \"\$(id_of vb-d2)\" != $did ]" ||
    fail "chaosd did not restart vb-d2 under its new name: $(chaos list); $(tail -n 5 /tmp/vb-chaosd.log)"
[ -z "$(id_of vb-d)" ] || fail "the old name came back with the restart"
echo "ok: a chaosd guest renamed vb-d -> vb-d2, rebooted: chaosd restarted it as $(id_of vb-d2) under the new name"
chaos destroy vb-d2 || fail "chaos destroy vb-d2"
kill -TERM "$CHAOSD"
wait "$CHAOSD" || fail "chaosd exited with status $?: $(tail -n 5 /tmp/vb-chaosd.log)"
expect_nothing_left
echo "ok: chaosd stopped, nothing left"

# ------------------------------------------------- xl gives the same codes
/lab/bin/xl-up || fail "xl-up could not start xenstored"
expect_rc "xl domid of an unknown name" 1 xl domid nosuch
expect_rc "xl domname of an unknown id" 1 xl domname 4242
expect_rc "xl domname of a non-number" 1 xl domname abc
expect_rc "xl domid without a name" 2 xl domid
expect_rc "xl rename of an unknown domain" 1 xl rename nosuch vb-x
expect_rc "xl mem-set with a bad size" 1 xl mem-set 0 12abc
expect_rc "xl mem-max of an unknown domain" 1 xl mem-max nosuch 8m
expect_rc "xl vcpu-list of an unknown domain" 1 xl vcpu-list nosuch
expect_rc "xl reboot of an unknown domain" 1 xl reboot nosuch
expect_nothing_left
echo "nothing left behind"
