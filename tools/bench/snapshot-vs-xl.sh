# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/snapshot-bench).  Prints CSV
# lines "measure,toolstack,guest,n,value" (ms unless said):
#   save        the save command's wall time (the guest runs, is suspended,
#               written, destroyed)
#   restore     the restore command's wall time (until the guest runs)
#   resumed     from the restore command's start until the guest's first
#               console line after it (the counter's "resumed in a new
#               domain"; empty for Linux, which prints nothing)
#   lib_total   chaos: libchaos's own total (chaos restore --json timings;
#   lib_stream  through chaosd: in chaosd), its xc_domain_restore part,
#   lib_check   and its image check (the whole file read, its CRC)
#   request     chaos through chaosd: chaosd's request_ms
#   first_*     chaos-pool-inplace: the first restore of the image, which
#               chaosd opens (checks, maps, indexes) and then keeps
#   cold        chaos create of the same guest: the command's wall time
#   cold_first  and until its first console line (--direct: a monitor,
#               everything built; pool: from a chaosd create flavor)
#   cold_ready  Linux: until its ready line (CHAOS-LAB-GUEST-OK, after
#               its boot and /init): what a restore of it skips
#   image_mib   the image's size in MiB (n = 1)
# toolstacks: chaos-direct (libchaos in the command), chaos-shell (chaosd,
# a restore flavor's shell), chaos-inplace (PVH: chaos restore --in-place),
# chaos-pool-inplace (PVH: through chaosd into an in-place flavor's shell,
# populated and zeroed ahead, the same image N times: chaosd keeps it
# open after the first),
# chaos-cold-direct, chaos-cold-pool, xl.
# guests: counter-pv, counter-pvh (chaos's unikernel, 4 MiB); linux-pv
# (Debian's kernel and the lab's busybox initrd, GMEM MiB, no devices,
# lab.wait: it stays up;
# xl's guest; chaos's too when CHAOS_LINUX=1: a chaos save that fails is
# a line "unsupported,chaos-direct,linux-pv,N,0").
# Variables (tools/bench/snapshot-bench sets them): N GMEM CHAOS_LINUX
# PARTS (u: the unikernel, x: xl's Linux).
N=${N:-5}
GMEM=${GMEM:-96}
CHAOS_LINUX=${CHAOS_LINUX:-0}
PARTS=${PARTS:-ux}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
T=/lab/bin/lab-time-create
D=/tmp/snapbench
rm -rf $D
mkdir -p $D
part() { case "$PARTS" in *"$1"*) return 0 ;; esac; return 1; }
clog() { echo "/var/log/chaos/console/$1.log"; }
xlog() { echo "/var/log/xen/console/guest-$1.log"; }
# json_num FILE KEY: a number of a one-line JSON object.
json_num() { sed -n "s/.*\"$2\": *\([0-9.]*\).*/\1/p" "$1" | head -n 1; }
# csv MEASURE TOOLSTACK GUEST N VALUE
csv() { echo "$1,$2,$3,$4,$5"; }
# timed M1 M2 TS G I LOG OUT CMD...: lab-time-create's two times as M1
# and M2 (none: M2 ""; LOG /nonexistent: no first line awaited); CMD's
# standard output goes to OUT.
timed() {
    m1=$1 m2=$2 ts=$3 g=$4 i=$5 log=$6 out=$7
    shift 7
    to=${TIMED_TO:-30}
    [ "$log" = /nonexistent ] && to=0
    times=$(LAB_TIME_STDOUT=$out $T "$log" "$to" "$@" 2>$D/err) ||
        fail "$ts $g $i: $* failed: $(cat $D/err)"
    csv "$m1" "$ts" "$g" "$i" "${times%,*}"
    [ -n "$m2" ] && csv "$m2" "$ts" "$g" "$i" "${times#*,}"
    return 0
}
size_mib() { awk -v b="$(wc -c <"$1")" 'BEGIN { printf "%.1f\n", b / 1048576 }'; }
counter_cfg() {  # counter_cfg FILE NAME TYPE
    printf 'name="%s"\ntype="%s"\nkernel="%s/counter"\nmemory=4\ncmdline="interval_ms=200"\n' \
        "$2" "$3" "$UK" >"$1"
}
linux_cfg() {  # linux_cfg FILE NAME
    printf 'name="%s"\ntype="pv"\nkernel="/lab/guest/vmlinuz"\nramdisk="/lab/guest/initrd"\nextra="console=hvc0 quiet lab.wait"\nmemory=%s\n' \
        "$2" "$GMEM" >"$1"
}

# ---- chaos, the counter unikernel: chaosd with a create and a restore
# flavor per type
cat >$D/chaosd.conf <<CONF
idle_memory_mib = 64
[flavor create-pv]
type = "pv"
memory = 4
pool = 2
[flavor create-pvh]
type = "pvh"
memory = 4
pool = 2
[flavor restore-pv]
type = "pv"
memory = 4
pool = 2
restore = "yes"
[flavor restore-pvh]
type = "pvh"
memory = 4
pool = 2
restore = "yes"
[flavor inplace-pvh]
type = "pvh"
memory = 4
pool = 0
restore = "in-place"
CONF
INPLACE=0 # the in-place pool's size: 0 until its part runs
pool_idle() { chaos pool 2>/dev/null | awk -v f="$1" '$1 == f { print $6 }'; }
pools_full() {
    for f in create-pv create-pvh restore-pv restore-pvh; do
        [ "$(pool_idle $f)" = 2 ] || return 1
    done
    [ "$(pool_idle inplace-pvh)" = "$INPLACE" ]
}
destroy_quiet() { chaos destroy "$1" >/dev/null 2>&1 || true; }

counter_half() {
    chaosd --config $D/chaosd.conf >$D/chaosd.log 2>&1 &
    CHAOSD=$!
    wait_for 300 pools_full || fail "chaosd's pools did not fill: $(chaos pool 2>&1)"
    for type in pv pvh; do
        g=counter-$type
        # cold boots: --direct (everything built), then from a create pool
        i=1
        while [ $i -le "$N" ]; do
            name=sb-cd-$type-$i
            counter_cfg $D/$name.cfg $name $type
            timed cold cold_first chaos-cold-direct "$g" $i "$(clog $name)" $D/out chaos create --direct -q $D/$name.cfg
            destroy_quiet $name
            name=sb-cp-$type-$i
            counter_cfg $D/"$name".cfg "$name" $type
            wait_for 60 pools_full || fail "pools did not refill"
            timed cold cold_first chaos-cold-pool "$g" "$i" "$(clog "$name")" $D/out chaos create -q $D/"$name".cfg
            destroy_quiet "$name"
            i=$((i + 1))
        done
        # save, then restore directly, N times over (each restore under a
        # new name, so its console log starts empty)
        prev=sb-$type-0
        counter_cfg $D/$prev.cfg $prev $type
        chaos create --direct -q $D/$prev.cfg || fail "create $prev"
        wait_for 60 "grep -q '^counter 2' $(clog $prev)" || fail "$prev does not count"
        i=1
        while [ $i -le "$N" ]; do
            timed save "" chaos-direct "$g" $i /nonexistent $D/out chaos save "$prev" $D/$type-$i.img
            name=sb-$type-$i
            timed restore resumed chaos-direct "$g" "$i" "$(clog "$name")" $D/out.json \
                chaos restore --direct --json $D/$type-"$i".img name="$name"
            csv lib_total chaos-direct "$g" "$i" "$(json_num $D/out.json total_ms)"
            csv lib_stream chaos-direct "$g" "$i" "$(json_num $D/out.json stream_ms)"
            csv lib_check chaos-direct "$g" "$i" "$(json_num $D/out.json check_ms)"
            wait_for 30 "grep -q '^counter' $(clog "$name")" || fail "$name does not count"
            prev=$name
            i=$((i + 1))
        done
        csv image_mib chaos-direct "$g" 1 "$(size_mib $D/$type-1.img)"
        destroy_quiet "$prev"
        # restore into a restore flavor's shell, the same images
        i=1
        while [ $i -le "$N" ]; do
            wait_for 60 pools_full || fail "pools did not refill"
            name=sb-s-$type-$i
            timed restore resumed chaos-shell "$g" $i "$(clog $name)" $D/out.json \
                chaos restore --json $D/$type-$i.img name=$name
            grep -q '"path": *"pool"' $D/out.json || fail "$name: not into a shell: $(cat $D/out.json)"
            csv lib_total chaos-shell "$g" "$i" "$(json_num $D/out.json total_ms)"
            csv lib_stream chaos-shell "$g" "$i" "$(json_num $D/out.json stream_ms)"
            csv lib_check chaos-shell "$g" "$i" "$(json_num $D/out.json check_ms)"
            csv request chaos-shell "$g" "$i" "$(json_num $D/out.json request_ms)"
            destroy_quiet $name
            i=$((i + 1))
        done
        # PVH: restore in place (a shell populated and zeroed by the
        # command itself, so its prepare is in the command's time; the
        # stream part is the copy of non-zero pages and the state records)
        i=1
        while [ "$type" = pvh ] && [ $i -le "$N" ]; do
            name=sb-i-$type-$i
            timed restore resumed chaos-inplace "$g" $i "$(clog $name)" $D/out.json \
                chaos restore --in-place --json $D/$type-$i.img name=$name
            csv lib_total chaos-inplace "$g" "$i" "$(json_num $D/out.json total_ms)"
            csv lib_stream chaos-inplace "$g" "$i" "$(json_num $D/out.json stream_ms)"
            csv lib_check chaos-inplace "$g" "$i" "$(json_num $D/out.json check_ms)"
            csv lib_prepare chaos-inplace "$g" "$i" "$(json_num $D/out.json prepare_ms)"
            destroy_quiet $name
            i=$((i + 1))
        done
        # PVH: through chaosd into an in-place flavor's shell (populated
        # and zeroed ahead), one image: the first restore opens it (the
        # first_* measures), the next N find it kept open.
        if [ "$type" = pvh ]; then
            INPLACE=2
            chaos pool set inplace-pvh 2 >/dev/null || fail "pool set inplace-pvh"
            i=0
            while [ $i -le "$N" ]; do
                wait_for 60 pools_full || fail "pools did not refill"
                name=sb-p-$type-$i
                m=restore m2=resumed
                [ "$i" = 0 ] && m=first_restore m2=first_resumed
                timed $m $m2 chaos-pool-inplace "$g" $i "$(clog $name)" $D/out.json \
                    chaos restore --json $D/$type-1.img name=$name
                grep -q '"path": *"in-place"' $D/out.json || fail "$name: not in place: $(cat $D/out.json)"
                p=""
                [ "$i" = 0 ] && p=first_
                csv ${p}lib_total chaos-pool-inplace "$g" "$i" "$(json_num $D/out.json total_ms)"
                csv ${p}lib_stream chaos-pool-inplace "$g" "$i" "$(json_num $D/out.json stream_ms)"
                csv ${p}lib_check chaos-pool-inplace "$g" "$i" "$(json_num $D/out.json check_ms)"
                csv ${p}lib_start chaos-pool-inplace "$g" "$i" "$(json_num $D/out.json start_ms)"
                csv ${p}request chaos-pool-inplace "$g" "$i" "$(json_num $D/out.json request_ms)"
                destroy_quiet $name
                i=$((i + 1))
            done
            grep 'restored sb-p-' $D/chaosd.log >&2 || true
        fi
    done
    kill -TERM $CHAOSD
    wait $CHAOSD || true
}

# ---- Linux: save/restore chains (xl; chaos when CHAOS_LINUX=1)
# chaos's chain also restores each time into a shell of chaosd's restore
# flavor for the Linux guest (saved again first); a refusal is reported
# and ends that half (LSHELL=0), not the run.
linux_pool_full() { [ "$(pool_idle restore-linux)" = 1 ]; }
linux_chaosd() {
    cat >$D/chaosd-linux.conf <<CONF
idle_memory_mib = $((GMEM + 32))
[flavor restore-linux]
type = "pv"
memory = $GMEM
pool = 1
restore = "yes"
CONF
    chaosd --config $D/chaosd-linux.conf >$D/chaosd-linux.log 2>&1 &
    CHAOSD=$!
    LSHELL=1
    wait_for 300 linux_pool_full ||
        fail "chaosd's Linux restore pool did not fill: $(chaos pool 2>&1)"
}
linux_shell_restore() {  # linux_shell_restore NAME IMAGE I
    sleep 2
    wait_for 120 linux_pool_full || fail "restore-linux did not refill"
    LAB_TIME_STDOUT=$D/out $T /nonexistent 0 chaos save "$1" "$2" >$D/t 2>$D/err ||
        fail "chaos save $1 (for the shell): $(cat $D/err)"
    csv save chaos-shell linux-pv "$3" "$(cut -d, -f1 $D/t)"
    if ! LAB_TIME_STDOUT=$D/out.json $T /nonexistent 0 chaos restore --json "$2" >$D/t 2>$D/err ||
        ! grep -q '"path": *"pool"' $D/out.json; then
        echo "NOTE: Linux restore into chaosd's shell: $(cat $D/err $D/out.json)" >&2
        csv unsupported chaos-shell linux-pv "$3" 0
        LSHELL=0
        chaos domid "$1" >/dev/null 2>&1 ||
            chaos restore --direct -q "$2" || fail "$1 lost after a refused shell restore"
        return 0
    fi
    csv restore chaos-shell linux-pv "$3" "$(cut -d, -f1 $D/t)"
    csv request chaos-shell linux-pv "$3" "$(json_num $D/out.json request_ms)"
    csv lib_total chaos-shell linux-pv "$3" "$(json_num $D/out.json total_ms)"
}
# linux_chain TOOLSTACK: N saves and restores of one Linux guest.
linux_chain() {
    ts=$1 name=sb-linux-$1
    linux_cfg $D/"$name".cfg "$name"
    # The cold boot, timed to the guest's ready line (what a restore of
    # the image saved below skips).
    if [ "$ts" = xl ]; then
        log=$(xlog "$name") cts=xl cmd="xl create -q"
    else
        log=$(clog "$name") cts=chaos-cold-direct cmd="chaos create --direct -q"
    fi
    rm -f "$log"
    # shellcheck disable=SC2086 # cmd is a command and its options
    LAB_TIME_UNTIL=CHAOS-LAB-GUEST-OK TIMED_TO=300 \
        timed cold cold_ready $cts linux-pv 1 "$log" $D/out $cmd $D/"$name".cfg
    grep -q CHAOS-LAB-GUEST-OK "$log" || fail "$ts: $name did not boot: $(tail -n 5 "$log")"
    i=1
    while [ $i -le "$N" ]; do
        sleep 2 # the resumed guest settles before it is asked again
        img=$D/linux-$ts-$i.img
        if [ "$ts" = xl ]; then
            timed save "" xl linux-pv $i /nonexistent $D/out xl save "$name" "$img"
            timed restore "" xl linux-pv "$i" /nonexistent $D/out xl restore "$img"
        else
            if ! LAB_TIME_STDOUT=$D/out $T /nonexistent 0 chaos save "$name" "$img" >$D/t 2>$D/err; then
                csv unsupported chaos-direct linux-pv $i 0
                echo "NOTE: chaos save of Linux: $(cat $D/err)" >&2
                break
            fi
            csv save chaos-direct linux-pv $i "$(cut -d, -f1 $D/t)"
            timed restore "" chaos-direct linux-pv $i /nonexistent $D/out chaos restore --direct -q "$img"
            if [ "$LSHELL" = 1 ]; then linux_shell_restore "$name" "$img" "$i"; fi
        fi
        # dom0's /tmp is RAM: a Linux image each time would fill it.
        [ "$i" = 1 ] && csv image_mib "$([ "$ts" = xl ] && echo xl || echo chaos-direct)" linux-pv 1 "$(size_mib "$img")"
        rm -f "$img"
        i=$((i + 1))
    done
    if [ "$ts" = xl ]; then xl destroy "$name"; else destroy_quiet "$name"; fi
}

echo "measure,toolstack,guest,n,value"
if part u; then counter_half; fi
if part x && [ "$CHAOS_LINUX" = 1 ]; then
    linux_chaosd
    linux_chain chaos
    kill -TERM $CHAOSD
    wait $CHAOSD || true
fi
if part x; then
    # xl save/restore's helper (tools/bench/snapshot-bench hands it in).
    H=/usr/lib/xen-4.17/bin/libxl-save-helper
    if [ ! -x $H ] && ! { cp /lab/share/files/libxl-save-helper $H && chmod 755 $H; }; then
        fail "no $H (snapshot-bench hands it in)"
    fi
    /lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up failed"
    linux_chain xl
fi
