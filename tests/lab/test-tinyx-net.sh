#!/bin/sh
# tinyx build --net and --disk on real Xen, through Debian's xl (xenstored,
# the kernel's netback and blkback, busybox hotplug scripts):
#  - web-pv (Debian's lighttpd, --ip 10.0.11.2/24, vif on xenbr0): its
#    /init gives eth0 the address of ip= in the config's extra; dom0
#    pings it and fetches its page with wget over the bridge;
#  - disk-pv (--disk /tmp/tinyx-disk.img:/data, an ext4 image made on the
#    host): its program reads a file of the disk and writes one; after
#    the guest powered off, the written text is in the image file.
# Images: `make lab-tinyx-images` on the host (tinyx/local.mk).
# The same images through chaos (its private store and user-space back
# ends, issue 11): chaos_boot_web below, off until those land.
# shellcheck source=lib.sh
. /lab/tests/lib.sh

dir=/lab/tinyx
[ -d $dir ] || dir=/lab/share/files/tinyx
for f in web-pv/guest.cfg disk-pv/guest.cfg disk.img; do
    [ -f $dir/$f ] ||
        fail "no $f in $dir (make lab-tinyx-images on the host)"
done

BR=xenbr0            # the images' bridge: tinyx's default
HOST_IP=10.0.11.1    # dom0 on the bridge
WEB_IP=10.0.11.2     # the web image's --ip
DISK=/tmp/tinyx-disk.img
BLOCK_SCRIPT=/tmp/tinyx-xl-block

# A config with its paths pointing where the image is.
config() {
    sed "s|/lab/tinyx/|$dir/|" "$dir/$1/guest.cfg" >"/tmp/tinyx-$1.cfg"
    echo "/tmp/tinyx-$1.cfg"
}
# For xl: Debian's hotplug scripts need bash and more than dom0 has, so
# each device names a busybox one (script= is xl's own diskspec and
# vifspec key; chaos has no hotplug scripts and refuses it).
xl_config() {
    f=$(config "$1")
    sed -i -e "s|'bridge=\([^',]*\)'|'bridge=\1,script=/lab/bench/xl-vif-script'|" \
        -e "s|\(,raw,xvd[a-z]*,rw\)'|\1,script=$BLOCK_SCRIPT'|" "$f"
    echo "$f"
}
console_of() { echo "/var/log/xen/console/guest-$1.log"; }
# The web image's page, fetched from dom0 over the bridge.  (busybox
# 1.35's wget segfaults with -T in this dom0: timeout bounds it instead.)
fetch_page() {
    rm -f /tmp/tinyx-page
    timeout 10 wget -q -O /tmp/tinyx-page "http://$WEB_IP/" 2>/dev/null &&
        grep -q 'tinyx lab page' /tmp/tinyx-page
}

cleanup() {
    for n in tinyx-web-pv tinyx-disk-pv; do xl destroy "$n" 2>/dev/null; done
    ip link set $BR down 2>/dev/null
    brctl delbr $BR 2>/dev/null
}
trap cleanup EXIT

# ------------------------------------------------------------ dom0 set-up
modprobe xen-netback || fail "cannot load xen-netback"
/lab/bin/xl-up || fail "xl-up could not start xenstored/xenconsoled"
brctl addbr $BR || fail "cannot create the bridge $BR"
if ! ip addr add $HOST_IP/24 dev $BR || ! ip link set $BR up; then
    fail "cannot set up the bridge $BR"
fi
snapshot

# ------------------------------------------------------------ xl: --net
name=tinyx-web-pv
log=$(console_of $name)
t0=$(now_ms)
xl create "$(xl_config web-pv)" ||
    fail "xl create web-pv failed; links: $(ip -o link | grep -o 'vif[0-9.]*' | tr '\n' ' ');
dmesg: $(dmesg | tail -n 8)"
wait_for 300 "ping -c 1 -W 1 $WEB_IP >/dev/null 2>&1" ||
    fail "web-pv does not answer ping at $WEB_IP after 300 s: $(tail -n 20 "$log" 2>/dev/null)"
echo "xl web-pv: answers ping $(( $(now_ms) - t0 )) ms after xl create began"
grep -a -q "tinyx: eth0 is $WEB_IP/24" "$log" ||
    fail "web-pv: /init did not say it set eth0: $(tail -n 20 "$log")"
wait_for 60 fetch_page ||
    fail "web-pv: wget http://$WEB_IP/ failed: $(head -c 200 /tmp/tinyx-page 2>/dev/null); $(tail -n 20 "$log")"
echo "xl web-pv: wget got \"$(cat /tmp/tinyx-page)\" $(( $(now_ms) - t0 )) ms after xl create began"
xl destroy $name || fail "xl destroy $name"
wait_for 60 "! xl domid $name >/dev/null 2>&1" || fail "web-pv did not go: $(xl list)"
wait_for 10 "[ -z \"\$(ls /sys/class/net/$BR/brif)\" ]" ||
    fail "a port is left on $BR: $(ls /sys/class/net/$BR/brif)"
expect_nothing_left

# ------------------------------------------------------------ xl: --disk
# xl's phy back end with a file: the hotplug script puts the file on a
# loop device and tells blkback its number, as Debian's block script does.
rel=$(uname -r)
mods=$dir/dom0-modules/$rel
disk_ok=1
for m in loop xen-blkback; do
    [ -d /sys/module/"$(echo $m | tr - _)" ] && continue
    if [ ! -f "$mods/$m.ko" ]; then
        echo "SKIP disk: no $m.ko for dom0's kernel $rel in $dir/dom0-modules (the image's kernel: $(ls "$dir/dom0-modules"))"
        disk_ok=
        break
    fi
    insmod "$mods/$m.ko" || fail "cannot load $mods/$m.ko"
done
if [ -n "$disk_ok" ]; then
    cat >$BLOCK_SCRIPT <<'EOF'
#!/bin/sh
# xl's block hotplug script for a file (test-tinyx-net.sh), in busybox sh.
# shellcheck disable=SC2154 # XENBUS_PATH comes from libxl
case "$1" in
add)
    file=$(xenstore-read "$XENBUS_PATH/params") || exit 1
    dev=$(losetup -f) && losetup "$dev" "$file" || exit 1
    xenstore-write "$XENBUS_PATH/physical-device" "$(stat -L -c %t:%T "$dev")" \
        "$XENBUS_PATH/physical-device-path" "$dev" \
        "$XENBUS_PATH/hotplug-status" connected
    ;;
remove)
    dev=$(xenstore-read "$XENBUS_PATH/physical-device-path") && losetup -d "$dev"
    xenstore-rm "$XENBUS_PATH/hotplug-status" 2>/dev/null
    ;;
esac
exit 0
EOF
    chmod +x $BLOCK_SCRIPT
    cp $dir/disk.img $DISK || fail "cannot copy the disk image"
    name=tinyx-disk-pv
    log=$(console_of $name)
    t0=$(now_ms)
    xl create "$(xl_config disk-pv)" || fail "xl create disk-pv failed"
    wait_for 300 "grep -a -q 'tinyx: exit status' $log 2>/dev/null" ||
        fail "disk-pv: no exit status after 300 s: $(tail -n 20 "$log" 2>/dev/null)"
    echo "xl disk-pv: done $(( $(now_ms) - t0 )) ms after xl create began"
    grep -a -q 'tinyx-disk-hello: read from xvda' "$log" ||
        fail "disk-pv: the disk's file is not in the console: $(tail -n 20 "$log")"
    grep -a -q 'tinyx: exit status 0' "$log" ||
        fail "disk-pv: $(tail -n 20 "$log")"
    wait_for 60 "! xl domid $name >/dev/null 2>&1" ||
        fail "disk-pv did not go after powering off: $(xl list)"
    wait_for 10 "[ -z \"\$(losetup -a)\" ]" || fail "loop device left: $(losetup -a)"
    grep -a -q tinyx-disk-written $DISK ||
        fail "disk-pv: what the guest wrote is not in $DISK"
    echo "xl disk-pv: console shows the disk's file; the guest's write is in $DISK"
    expect_nothing_left
fi

# ------------------------------------------------------------ chaos
# The same image through chaos (issue 11): each guest's private store and
# the user-space back ends (xenstored runs here for xl, and chaos's guests
# do not use it), with `chaos create` and then through chaosd's pool (a
# flavor with the same type, memory and vif); ping and wget from dom0 as
# above.
chaos_boot_web() {
    cfg=$(config web-pv)
    name=tinyx-web-pv
    t0=$(now_ms)
    out=$(chaos create "$cfg" 2>&1) || fail "chaos create web-pv: $out"
    wait_for 300 "ping -c 1 -W 1 $WEB_IP >/dev/null 2>&1" ||
        fail "chaos web-pv: no ping after 300 s: $(tail -n 20 /var/log/chaos/console/$name.log 2>/dev/null)"
    wait_for 60 fetch_page || fail "chaos web-pv: wget failed for 60 s after ping answered"
    echo "chaos web-pv: ping and wget answered $(( $(now_ms) - t0 )) ms after chaos create began"
    chaos destroy $name || fail "chaos destroy $name"
    wait_for 60 "[ -z \"\$(dom_field_by_name $name)\" ]" || fail "chaos web-pv did not go"
    expect_nothing_left

    mem=$(sed -n 's/^memory *= *//p' "$cfg")
    cat >/tmp/tinyx-chaosd.conf <<CONF
socket = "/run/chaos/chaosd.sock"
[flavor web]
type = "pv"
memory = $mem
vif = "bridge=$BR"
pool = 1
CONF
    start=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
        sed 's|--config [^ ]*||')
    # shellcheck disable=SC2086 # start is a command line
    $start --config /tmp/tinyx-chaosd.conf >/tmp/tinyx-chaosd.log 2>&1 &
    chaosd=$!
    wait_for 120 "[ \"\$(chaos pool 2>/dev/null | awk '\$1 == \"web\" { print \$6 }')\" = 1 ]" ||
        fail "chaosd's pool did not fill: $(tail -n 20 /tmp/tinyx-chaosd.log)"
    t0=$(now_ms)
    out=$(chaos create --daemon "$cfg" 2>&1) || fail "chaos create --daemon web-pv: $out"
    echo "$out" | grep -q 'from the pool of flavor web' || fail "not from the pool: $out"
    wait_for 300 "ping -c 1 -W 1 $WEB_IP >/dev/null 2>&1" || fail "pool web-pv: no ping"
    wait_for 60 fetch_page || fail "pool web-pv: wget failed for 60 s after ping answered"
    echo "chaosd pool web-pv: ping and wget answered $(( $(now_ms) - t0 )) ms after the request"
    chaos destroy $name || fail "chaos destroy $name (pool)"
    kill -TERM $chaosd
    wait $chaosd || fail "chaosd exited with status $?: $(tail -n 20 /tmp/tinyx-chaosd.log)"
    expect_nothing_left
}
chaos_boot_web
echo "tinyx --net and --disk images work through xl and chaos: ping, wget, a disk read and written"
