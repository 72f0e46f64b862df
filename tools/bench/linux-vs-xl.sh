# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/linux-bench).  Debian's Linux
# kernel with the lab's busybox initrd (/init: tools/lab/guest-init), one
# vif and one disk, through chaos (a private XenStore per guest served by
# its supervisor, the user-space back ends, no xenstored) and through
# Debian's xl (xenstored, the kernel's netback and blkback, hotplug
# scripts), on one bridge, in one boot.  chaos goes first, before xenstored
# starts.  Prints CSV lines "measure,toolstack,n,value":
#   cold        ms of chaos's first create (chaosd has not cached the
#               kernel yet; paused, destroyed at once; not in the tables)
#   created     (a) ms until the create command returned
#   reachable   (a) ms from the create command until the guest answers
#               ping from dom0 (guest-init's $NET_OPT brings eth0 up)
#   guest_init  (a) the guest's uptime in ms when its /init began, and
#   guest_net   when eth0 was up (from its console log): the guest's own
#               boot, the same kernel and initrd for both toolstacks
#   nth         (b) ms of the n-th create of such a guest, paused (it
#               never runs: 100 Linux guests booting would swamp the
#               emulated CPUs), n = 1 .. NTH (xl: XL_NTH), the guests
#               before it still there
#   dd_write    (c) MB/s of guest-init's lab.dd: a sequential write of
#               DD_MIB MiB to /dev/xvda (direct I/O), one guest per run
#   dd_read     (c) the same, read back
#   mode        chaos's supervisor: 1 chaosd, 0 a monitor per guest
# Variables (tools/bench/linux-bench sets them): N NTH XL_NTH GMEM DD_MIB
# DD_RUNS CHAOSD NET_OPT GUEST_KERNEL (the guests' kernel) DMESG (1: (a)'s guests print their kernel log,
# as lines "log,TOOLSTACK,N: ..."), PARTS (the letters of the parts to run) and ONLY
# (chaos or xl: that half alone), TRACE (1: (a) prints, as lines
# "trace,TOOLSTACK,N: MS EVENT", when dom0 saw the guest's console say
# /init began and eth0 is up, in ms from the create).
N=${N:-5}
NTH=${NTH:-100}
XL_NTH=${XL_NTH:-30}
GMEM=${GMEM:-96}
DD_MIB=${DD_MIB:-64}
DD_RUNS=${DD_RUNS:-3}
CHAOSD=${CHAOSD:-1}
NET_OPT=${NET_OPT:-lab.net}
DMESG=${DMESG:-0}
TRACE=${TRACE:-0}
GUEST_KERNEL=${GUEST_KERNEL:-/lab/guest/vmlinuz}
EXTRA=
[ "$DMESG" = 1 ] && EXTRA=lab.dmesg
PARTS=${PARTS:-abc}
ONLY=${ONLY:-}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
FILES=/lab/share/files

brctl addbr chaosbr0 || fail "cannot create the bridge"
if ! ip addr add 10.0.0.1/16 dev chaosbr0 || ! ip link set chaosbr0 up; then
    fail "cannot set up the bridge"
fi
# dom0 asks for a guest's MAC (ARP) every 100 ms instead of every second,
# so that (a) dates the first answer to within ~100 ms of the guest being
# able to give it, for both toolstacks alike (with 1 s, a guest that came
# up just after a request waited up to a second for the next one).
echo 100 >/proc/sys/net/ipv4/neigh/chaosbr0/retrans_time_ms ||
    fail "cannot set chaosbr0's ARP retransmission time"
# shellcheck disable=SC3045 # busybox ash's ulimit has -n
ulimit -n 65536

# ip_of N: a guest address for the N-th guest (10.0.X.Y).
ip_of() { echo "10.0.$(($1 / 200 + 1)).$(($1 % 200 + 2))"; }

# until_ping IP SECONDS: waits until IP answers ping and prints when
# (now_ms's clock).  Each try pings every 200 ms for 2 s (busybox ping's
# timeouts are whole seconds, and it exits on sendto's EHOSTUNREACH while
# the address does not resolve); the first answer's sequence number and
# round trip date it to within 200 ms.
until_ping() {
    end=$(($(date +%s) + $2))
    while :; do
        t=$(now_ms)
        out=$(ping -i 0.2 -w 2 "$1" 2>/dev/null) && break
        [ "$(date +%s)" -ge "$end" ] && return 1
    done
    echo "$out" | awk -v t="$t" '/ seq=/ {
        for (i = 1; i <= NF; i++) {
            if ($i ~ /^seq=/) s = substr($i, 5)
            if ($i ~ /^time=/) r = substr($i, 6)
        }
        printf "%d\n", t + s * 200 + r; exit }'
}

# mkimg FILE MiB: a sparse disk image (dom0's /tmp is tmpfs).
mkimg() {
    rm -f "$1"
    truncate -s "${2}M" "$1" || fail "cannot make $1"
}

# guest_cfg TOOLSTACK FILE NAME EXTRA: the benchmark's guest.  xl's vif
# and disk name the busybox hotplug scripts (Debian's are bash); a disk's
# target must come last for xl.
guest_cfg() {
    vif="bridge=chaosbr0" disk="format=raw, vdev=xvda, access=rw"
    if [ "$1" = xl ]; then
        vif="$vif,script=/lab/bench/xl-vif-script"
        disk="$disk, script=$FILES/xl-block-script"
    fi
    cat >"$2" <<CFG
name = "$3"
type = "pv"
kernel = "$GUEST_KERNEL"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet $EXTRA $4"
memory = $GMEM
vcpus = 1
vif = [ '$vif' ]
disk = [ '$disk, target=/tmp/$3.img' ]
on_poweroff = "destroy"
on_crash = "destroy"
CFG
}

# Per toolstack: create [-p] CFG, destroy NAME, the console log of NAME.
create_chaos() { chaos create -q "$@"; }
create_xl() { xl create -q "$@"; }
destroy_chaos() { chaos destroy "$1" >/dev/null; }
destroy_xl() { xl destroy "$1"; }
log_chaos() { echo "/var/log/chaos/console/$1.log"; }
log_xl() { echo "/var/log/xen/console/guest-$1.log"; }
gone() { [ -z "$(dom_field_by_name "$1")" ]; }
tail_log() { tail -n 5 "$("log_$1" "$2")" 2>/dev/null | tr -d '\r'; }

# guest_uptimes TOOLSTACK NAME N: the guest's own clock (ms since its
# kernel started) when /init began (CHAOS-LAB-GUEST-OK) and when eth0 was
# up (CHAOS-LAB-GUEST-NET), from its console log: they split (a) into the
# toolstack's part and the guest's boot, which is the same kernel for both.
guest_uptimes() {
    tr -d '\r' <"$("log_$1" "$2")" 2>/dev/null | awk -v ts="$1" -v n="$3" '
        /CHAOS-LAB-GUEST-(OK|NET)/ {
            for (i = 1; i <= NF; i++)
                if ($i ~ /^uptime=/) u = substr($i, 8) * 1000
            m = ($0 ~ /GUEST-OK/) ? "guest_init" : "guest_net"
            printf "%s,%s,%s,%d\n", m, ts, n, u }'
}

# trace_start TOOLSTACK NAME T0: when dom0 sees the guest's console log
# say /init began and eth0 is up, in ms since T0 (now_ms's clock; polled
# every 50 ms), to set against the create's return and the first ping
# answer (the lab's busybox has no `ip monitor` to add links and
# neighbour states).  Lines go to /tmp/trace.NAME; trace_stop prints them.
trace_start() {
    (out=/tmp/trace.$2 log=$("log_$1" "$2") seen=
     : >"$out"
     while :; do
         for m in GUEST-OK GUEST-NET; do
             case "$seen" in *"$m"*) continue ;; esac
             if grep -aq "CHAOS-LAB-$m" "$log" 2>/dev/null; then
                 echo "$(($(now_ms) - $3)) console $m" >>"$out"
                 seen="$seen $m"
             fi
         done
         sleep 0.05
     done) &
    TRACE_PID=$!
}
trace_stop() {
    kill "$TRACE_PID" 2>/dev/null
    wait "$TRACE_PID" 2>/dev/null
    sed "s/^/trace,$1,$3: /" "/tmp/trace.$2"
    rm -f "/tmp/trace.$2"
}

# reachable TOOLSTACK OFFSET: (a), N guests one after the other.
reachable() {
    ts=$1 i=1
    while [ $i -le "$N" ]; do
        name=a-$ts-$i addr=$(ip_of $(($2 + i)))
        mkimg "/tmp/$name.img" 16
        guest_cfg "$ts" "/tmp/$name.cfg" "$name" "$NET_OPT=$addr/16"
        t0=$(now_ms)
        [ "$TRACE" = 1 ] && trace_start "$ts" "$name" "$t0"
        "create_$ts" "/tmp/$name.cfg" >/tmp/create.err 2>&1 ||
            fail "$ts create $name: $(cat /tmp/create.err)"
        echo "created,$ts,$i,$(($(now_ms) - t0))"
        t1=$(until_ping "$addr" 300) ||
            fail "$name ($addr) never answered ping: $(tail_log "$ts" "$name")"
        echo "reachable,$ts,$i,$((t1 - t0))"
        [ "$TRACE" = 1 ] && trace_stop "$ts" "$name" "$i"
        guest_uptimes "$ts" "$name" "$i"
        if [ "$DMESG" = 1 ]; then
            sleep 1 # guest-init prints dmesg once eth0 is up
            tr -d '\r' <"$("log_$ts" "$name")" | sed "s/^/log,$ts,$i: /"
        fi
        "destroy_$ts" "$name"
        wait_for 30 "gone $name" || fail "$name did not go after destroy"
        rm -f "/tmp/$name.img" "/tmp/$name.cfg"
        i=$((i + 1))
    done
}

# dd TOOLSTACK: (c), DD_RUNS guests running guest-init's lab.dd, each
# powering off when done.
dd_runs() {
    ts=$1 i=1
    while [ $i -le "$DD_RUNS" ]; do
        name=c-$ts-$i
        mkimg "/tmp/$name.img" $((DD_MIB + 1))
        guest_cfg "$ts" "/tmp/$name.cfg" "$name" "lab.dd=$DD_MIB"
        "create_$ts" "/tmp/$name.cfg" >/tmp/create.err 2>&1 ||
            fail "$ts create $name: $(cat /tmp/create.err)"
        log=$("log_$ts" "$name")
        wait_for 600 "grep -q CHAOS-LAB-DD '$log' 2>/dev/null" ||
            fail "$name printed no CHAOS-LAB-DD line: $(tail_log "$ts" "$name")"
        line=$(grep -a CHAOS-LAB-DD "$log" | tr -d '\r' | tail -n 1)
        w=$(echo "$line" | sed -n 's/.* write=\([0-9.]*\).*/\1/p')
        r=$(echo "$line" | sed -n 's/.* read=\([0-9.]*\).*/\1/p')
        if [ -z "$w" ] || [ -z "$r" ]; then fail "$name: cannot read '$line'"; fi
        echo "dd_write,$ts,$i,$w"
        echo "dd_read,$ts,$i,$r"
        wait_for 120 "gone $name" || "destroy_$ts" "$name"
        wait_for 30 "gone $name" || fail "$name did not go"
        rm -f "/tmp/$name.img" "/tmp/$name.cfg"
        i=$((i + 1))
    done
}

# nth TOOLSTACK COUNT: (b), COUNT paused guests kept, then all destroyed.
nth() {
    ts=$1 need=$(($2 * (GMEM + 2)))
    [ "$(free_mib)" -ge $need ] ||
        fail "(b) $ts needs $need MiB free for $2 guests of $GMEM MiB, Xen has $(free_mib) (raise --mem)"
    i=1
    while [ $i -le "$2" ]; do
        name=b-$ts-$i
        mkimg "/tmp/$name.img" 16
        guest_cfg "$ts" "/tmp/$name.cfg" "$name" "$NET_OPT=$(ip_of $((1000 + i)))/16"
        t0=$(now_ms)
        "create_$ts" -p "/tmp/$name.cfg" >/tmp/create.err 2>&1 ||
            fail "$ts create -p $name: $(cat /tmp/create.err)"
        echo "nth,$ts,$i,$(($(now_ms) - t0))"
        i=$((i + 1))
    done
    i=1
    while [ $i -le "$2" ]; do
        "destroy_$ts" "b-$ts-$i"
        i=$((i + 1))
    done
    i=1
    while [ $i -le "$2" ]; do
        wait_for 30 "gone b-$ts-$i" || fail "b-$ts-$i did not go after destroy"
        rm -f "/tmp/b-$ts-$i.img" "/tmp/b-$ts-$i.cfg"
        i=$((i + 1))
    done
}

# part P: true if part P runs.
part() { case "$PARTS" in *"$1"*) return 0 ;; esac; return 1; }

# chaos: a private store per guest, the user-space back ends, no xenstored.
chaos_half() {
    xenstored_running && fail "chaos's half needs no xenstored running"
    echo "mode,chaos,0,$CHAOSD"
    if [ "$CHAOSD" = 1 ]; then
        # chaosd without pools (a pool shell cannot carry a disk): every
        # create is a real one, with the kernel from chaosd's cache.
        printf 'socket = "/run/chaos/chaosd.sock"\n' >/tmp/linux-chaosd.conf
        START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
                sed 's|--config [^ ]*|--config /tmp/linux-chaosd.conf|')
        $START >/tmp/linux-chaosd.log 2>&1 &
        CHAOSD_PID=$!
        wait_for 60 "chaos pool >/dev/null 2>&1" ||
            { tail /tmp/linux-chaosd.log >&2; fail "chaosd did not start"; }
        create_chaos() { chaos create -q --daemon "$@"; }
    fi
    # The first create (through chaosd it fills the kernel cache).
    mkimg /tmp/w-chaos.img 16
    guest_cfg chaos /tmp/w-chaos.cfg w-chaos "$NET_OPT=$(ip_of 999)/16"
    t0=$(now_ms)
    create_chaos -p /tmp/w-chaos.cfg >/tmp/create.err 2>&1 ||
        fail "chaos create w-chaos: $(cat /tmp/create.err)"
    echo "cold,chaos,1,$(($(now_ms) - t0))"
    destroy_chaos w-chaos
    wait_for 30 "gone w-chaos" || fail "w-chaos did not go after destroy"

    if part a; then reachable chaos 0; fi
    if part c; then dd_runs chaos; fi
    if part b; then nth chaos "$NTH"; fi
    if [ "$CHAOSD" = 1 ]; then
        kill -TERM "$CHAOSD_PID"
        wait "$CHAOSD_PID"
    fi
}

# xl: xenstored, the kernel's netback and blkback, hotplug scripts.
xl_half() {
    # xen-blkback and loop are not among the lab's dom0 modules:
    # tools/bench/linux-bench passes them in as files.
    for m in xen-netback xen-blkback "loop max_loop=$((XL_NTH + 8))"; do
        # shellcheck disable=SC2086 # $m is a module and its parameters
        modprobe $m 2>/dev/null || insmod "$FILES/${m%% *}.ko" ${m#"${m%% *}"} ||
            fail "cannot load ${m%% *}"
    done
    /lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up failed"
    if part a; then reachable xl 100; fi
    if part c; then dd_runs xl; fi
    if part b; then nth xl "$XL_NTH"; fi
}

[ "$ONLY" = xl ] || chaos_half
[ "$ONLY" = chaos ] || xl_half
