#!/bin/busybox sh
# shellcheck shell=sh # busybox ash: keep to POSIX sh
# /init of a tinyx image (template; `tinyx build` replaces the marker line
# below with the application's settings and writes the result as /init).
#
# It mounts what a program usually expects, loads the kernel modules, sets
# up the devices (--net: the interface of ip= on the kernel command line,
# or of the vif's ip= in the store, followed after a resume;
# --disk: waits for the disks, mounts those with a mount point), runs the
# application with its arguments and environment on the console, reports
# its exit status as
#     tinyx: exit status N
# (after an ASCII RS, 0x1e, which terminals do not show)
# and powers the VM off (reboots it after a failure: see the end).  The
# kernel runs it from the initramfs, so the root file system is the
# initramfs itself (rootfs): nothing to switch to.
# Every tool is called through busybox by name: the image may hold a program
# of its own called `mount` or `sh`.
#
# Definitions first, then the marker, then what runs: everything above the
# marker only defines (the unit tests source it with a fake busybox).
bb=/bin/busybox
etc=/etc
run=/run
# How long a device may take to appear once its front end is loaded (the
# back end connects it); generous, for emulated labs.
TINYX_WAIT=60

# tinyx_wait PATH: waits up to TINYX_WAIT seconds for PATH to exist.
tinyx_wait() {
    n=$((TINYX_WAIT * 10))
    while [ ! -e "$1" ]; do
        [ "$n" -le 0 ] && return 1
        n=$((n - 1))
        $bb usleep 100000
    done
}

# tinyx_prefix NETMASK ADDR: the prefix length of a netmask; without one,
# that of the address's class, as Linux's ip= does.
tinyx_prefix() {
    if [ -z "$1" ]; then
        first=${2%%.*}
        if [ "$first" -lt 128 ] 2>/dev/null; then echo 8
        elif [ "$first" -lt 192 ] 2>/dev/null; then echo 16
        else echo 24
        fi
        return 0
    fi
    p=0
    IFS=. read -r o1 o2 o3 o4 <<END
$1
END
    for o in "$o1" "$o2" "$o3" "$o4"; do
        case $o in
            255) p=$((p + 8)) ;; 254) p=$((p + 7)) ;; 252) p=$((p + 6)) ;;
            248) p=$((p + 5)) ;; 240) p=$((p + 4)) ;; 224) p=$((p + 3)) ;;
            192) p=$((p + 2)) ;; 128) p=$((p + 1)) ;; 0) ;;
            *) echo "tinyx: $1 is not a netmask" >&2; return 1 ;;
        esac
    done
    echo $p
}

# tinyx_ip VALUE: applies Linux's ip=VALUE, its static subset (the
# kernel's own ip= runs before modules are loaded, so it never sees
# netfront's eth0):
#   CLIENT:SERVER:GW:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1:NTP0
# CLIENT may be ADDR/PREFIX; SERVER and NTP0 are ignored; DEVICE defaults
# to eth0; AUTOCONF must be off, none or empty; DNS0/DNS1 go to
# /etc/resolv.conf.  ip=off and ip=none: nothing to do.
tinyx_ip() {
    case $1 in
        off | none) return 0 ;;
        on | any | dhcp | bootp | rarp | both)
            echo "tinyx: ip=$1: only a static address is supported"
            return 1 ;;
    esac
    IFS=: read -r addr _ gw mask host dev auto dns0 dns1 _ <<END
$1
END
    dev=${dev:-eth0}
    case $auto in
        "" | off | none) ;;
        *) echo "tinyx: ip=$1: autoconf $auto is not supported (only off)"
           return 1 ;;
    esac
    case $addr in
        "") echo "tinyx: ip=$1: no address"; return 1 ;;
        */*) ;;
        *) pfx=$(tinyx_prefix "$mask" "$addr") || return 1
           addr=$addr/$pfx ;;
    esac
    tinyx_wait "/sys/class/net/$dev" || {
        echo "tinyx: no network interface $dev after $TINYX_WAIT s"
        return 1
    }
    if ! { $bb ip link set "$dev" up && $bb ip addr add "$addr" dev "$dev"; }
    then
        echo "tinyx: cannot give $dev the address $addr"
        return 1
    fi
    if [ -n "$gw" ]; then
        $bb ip route add default via "$gw" dev "$dev" || {
            echo "tinyx: cannot route through $gw"
            return 1
        }
    fi
    TINYX_DEV=$dev TINYX_ADDR=$addr TINYX_GW=$gw
    [ -z "$host" ] || $bb hostname "$host"
    if [ -n "$dns0$dns1" ]; then
        for d in $dns0 $dns1; do echo "nameserver $d"; done >"$etc/resolv.conf"
    fi
    echo "tinyx: $dev is $addr${gw:+ via $gw}"
}

# tinyx_follow: says what tinyx-netwatch did, one line each (it moves
# TINYX_DEV to the vif's ip= in the guest's store itself, see
# tinyx/netwatch.c): "start ADDR" at start (the store's address replaced
# the command line's; "-": there was none), "resumed ADDR MAC" after each
# resume (a guest restored from a saved image, e.g. a clone in a chaosd
# template pool: the new address is on, netfront has reconnected, a
# gratuitous ARP told the bridge and the neighbours), "error TEXT".
# $run/tinyx-net.ready says the first line was handled.
tinyx_follow() {
    while read -r what a mac; do
        case $what in
        start)
            if [ "$a" != - ]; then
                TINYX_ADDR=$a
                echo "tinyx: $TINYX_DEV is $TINYX_ADDR (the vif's ip=)"
            fi
            : >"$run/tinyx-net.ready" ;;
        resumed)
            if [ "$a" = - ]; then TINYX_ADDR=; else TINYX_ADDR=$a; fi
            echo "tinyx: resumed: $TINYX_DEV is ${TINYX_ADDR:-without an address}, mac $mac" ;;
        error) echo "tinyx: $a $mac" ;;
        esac
    done
}

# tinyx_netwatch: starts tinyx-netwatch and tinyx_follow in the
# background, and waits (up to 5 s) until the first address was handled
# (a kernel without /dev/xen/xenbus: the helper says so and ends, and the
# command line's address stays).
tinyx_netwatch() {
    [ -x /bin/tinyx-netwatch ] || return 0
    { /bin/tinyx-netwatch "$TINYX_DEV" "$TINYX_GW" | tinyx_follow
      : >"$run/tinyx-net.ready"; } &
    n=50
    while [ ! -e "$run/tinyx-net.ready" ] && [ "$n" -gt 0 ]; do
        n=$((n - 1))
        $bb usleep 100000
    done
}

# tinyx_net: the interface of the last ip= on the kernel command line (none:
# eth0 is brought up without an address).
TINYX_DEV=eth0 TINYX_ADDR='' TINYX_GW=''
tinyx_net() {
    ip=
    set -f
    for w in $($bb cat /proc/cmdline); do
        case $w in ip=*) ip=${w#ip=} ;; esac
    done
    set +f
    if [ -n "$ip" ]; then
        tinyx_ip "$ip"
        return
    fi
    echo "tinyx: no ip= on the kernel command line: eth0 has no address"
    tinyx_wait /sys/class/net/eth0 && $bb ip link set eth0 up
}

# tinyx_disk DEVICE MOUNTPOINT FSTYPE: waits for /dev/DEVICE and mounts it
# on MOUNTPOINT (none: only waits).  Called by tinyx_disks (generated).
tinyx_mounted=
# shellcheck disable=SC2317 # called by the generated tinyx_disks
tinyx_disk() {
    tinyx_wait "/dev/$1" || {
        echo "tinyx: no disk /dev/$1 after $TINYX_WAIT s"
        return 1
    }
    [ -n "$2" ] || return 0
    if ! { $bb mkdir -p "$2" && $bb mount -t "$3" "/dev/$1" "$2"; }; then
        echo "tinyx: cannot mount /dev/$1 ($3) on $2"
        return 1
    fi
    tinyx_mounted="$2 $tinyx_mounted"
}

# tinyx_run PROGRAM ARG...: runs the program.  Its stdin is the console,
# except when the image says TINYX_STDIN (tinyx-stdin's path: chaos-oci's
# containers without a terminal): then the helper runs it (execs it),
# with a pipe as its stdin that carries what dom0 sends framed on the
# console (tinyx/stdin.c) and ends when the container's stdin does.  The
# helper makes the console raw and says so ("tinyx: stdin ready"; dom0
# sends nothing before); when it cannot, it says why, and the program
# reads /dev/null.
tinyx_run() {
    if [ -n "$TINYX_STDIN" ]; then
        "$TINYX_STDIN" "$@"
    else
        "$@"
    fi
}

# What the build wrote for the application: TINYX_HOSTNAME, TINYX_WORKDIR,
# TINYX_MODULES, TINYX_NET, tinyx_disks(), TINYX_STDIN, the exported
# environment, and "set -- PROGRAM ARG...".
# @TINYX_APP@

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
# devtmpfs brings /dev/null, /dev/zero, /dev/urandom, ttys; the static
# /dev/console in the archive is what the kernel opened for us before this.
$bb mount -t devtmpfs devtmpfs /dev 2>/dev/null
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts devpts /dev/pts 2>/dev/null
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
$bb mount -t tmpfs -o mode=1777 tmpfs /tmp
$bb mount -t tmpfs -o mode=0755 tmpfs /run
$bb hostname "$TINYX_HOSTNAME"
# A shutdown request (`chaos shutdown`, `xl shutdown`, `chaos-oci kill ID
# TERM`) makes Linux run poweroff_cmd, /sbin/poweroff by default, which an
# image rarely has (and which would not stop this /init): send every process
# but /init TERM instead, so the program ends as a container's would, and
# /init reports its status and powers off as usual.
echo "$bb kill -TERM -1" >/proc/sys/kernel/poweroff_cmd 2>/dev/null
$bb ip link set lo up 2>/dev/null

for m in $TINYX_MODULES; do
    $bb insmod "$m" || echo "tinyx: cannot load module $m"
done

# The devices the image was built for: without them the program would run
# with no network or write into RAM instead of its disk, so it does not run.
setup_ok=1
if [ -n "$TINYX_NET" ]; then
    tinyx_net || setup_ok=
    [ -z "$setup_ok" ] || tinyx_netwatch
fi
[ -z "$setup_ok" ] || tinyx_disks || setup_ok=

if [ -n "$setup_ok" ]; then
    cd "$TINYX_WORKDIR" || echo "tinyx: cannot enter $TINYX_WORKDIR"
    tinyx_run "$@"
    status=$?
    # After an ASCII RS: the program's last line may lack its newline, and
    # chaos-oci's keeper takes the status from the middle of a line only
    # after that byte (tools/chaos-oci/oci_output.h); consoles show none.
    printf '\036tinyx: exit status %s\n' "$status"
else
    echo "tinyx: not running $1: its devices are not set up"
    status=1
fi
$bb sync
for mp in $tinyx_mounted; do
    $bb umount "$mp" || echo "tinyx: cannot unmount $mp"
done
# The toolstack sees the outcome without reading the console: Xen reports
# the shutdown reason "poweroff" after success and "reboot" after a failure
# (the config turns both into destroy).
if [ "$status" = 0 ]; then
    $bb poweroff -f
else
    $bb reboot -f
fi
# Only reached if that failed: let the kernel stop the VM (init exiting
# panics it, and panic=-1 and the config take over).
exit "$status"
