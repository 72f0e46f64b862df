# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/density-bench).  Dom0's memory
# per running guest: N unikernel `hello` guests left running (they sleep)
# through chaosd, then XL_N through Debian's xl, and at each checkpoint
# the resident memory (VmRSS) of the processes that serve them:
#   chaos   chaosd (it is the guests' supervisor: console, store, life
#           cycle; no other process serves a chaos guest)
#   xl      xenstored + xenconsoled (the daemons every xl guest needs)
#           + the `xl` process that `xl create` leaves per guest to watch
#           it (reboot, on_crash)
# and dom0's used memory (MemTotal - MemAvailable), which also holds
# what dom0's kernel spends (grant and foreign mappings, event channels).
# chaosd runs without a pool (pool = 0): every guest is built on request,
# so its memory is that of served guests only.  The creates go through
# a minimal socket client (tests/lab/lab-chaosd-create), which is what
# an orchestrator does and is quicker than the `chaos` command under TCG.
# Prints one CSV line per checkpoint:
#   stack,n,serving_rss_kib,serving_pss_kib,dom0_used_kib,fds
# RSS counts pages shared between processes (libraries) once per process;
# PSS divides them among the sharers, so it is the fair sum for xl's many
# processes.  fds: file descriptors the serving processes hold.
N=${N:-100}
XL_N=${XL_N:-50}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
HOLD=sleep_ms=36000000   # 10 h: guests stay up for the whole run

rss_kib() {  # rss_kib PID...: the sum of their VmRSS
    for p in "$@"; do awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"; done |
        awk '{ s += $1 } END { print s + 0 }'
}
pss_kib() {  # pss_kib PID...: the sum of their proportional set sizes
    for p in "$@"; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup"; done |
        awk '{ s += $1 } END { print s + 0 }'
}
fds() {  # fds PID...: how many descriptors they hold
    for p in "$@"; do ls "/proc/$p/fd"; done | wc -l
}
pids_of() {  # pids_of NAME: the processes whose command name is NAME
    for d in /proc/[0-9]*; do
        [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}"
    done
}
dom0_used_kib() {
    awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
         END { print t - a }' /proc/meminfo
}
is_checkpoint() {  # is_checkpoint I LAST: 0, 1, 10, 25, 50, 100, 250, ... and LAST
    [ "$1" -eq "$2" ] && return 0
    case "$1" in 0|1|10|25|50|100|250|500|1000|2000|5000) return 0 ;; esac
    return 1
}
sample() {  # sample STACK I PID...
    stack=$1 i=$2
    shift 2
    sync
    echo "$stack,$i,$(rss_kib "$@"),$(pss_kib "$@"),$(dom0_used_kib),$(fds "$@")"
}
write_cfg() {  # write_cfg FILE NAME
    printf 'name="%s"\ntype="pv"\nkernel="%s/hello"\nmemory=4\nvcpus=1\ncmdline="%s"\n' \
        "$2" "$UK" "$HOLD" >"$1"
    printf 'on_poweroff="destroy"\non_crash="destroy"\non_reboot="destroy"\n' >>"$1"
}
write_cfg /tmp/density.cfg placeholder

cat >/tmp/density-chaosd.conf <<CONF
socket = "/run/chaos/chaosd.sock"
idle_memory_mib = 64
[flavor hello]
type = "pv"
memory = 4
vcpus = 1
pool = 0
CONF
# shellcheck disable=SC3045 # busybox ash's ulimit has -n
ulimit -n 65536
START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
        sed 's|--config [^ ]*|--config /tmp/density-chaosd.conf|')
$START >/tmp/density-chaosd.log 2>&1 &
CHAOSD=$!
wait_for 60 "[ -S /run/chaos/chaosd.sock ]" ||
    { tail /tmp/density-chaosd.log >&2; fail "chaosd did not start"; }
sleep 1

echo "stack,n,serving_rss_kib,serving_pss_kib,dom0_used_kib,fds"
sample chaos 0 $CHAOSD
i=1
while [ $i -le "$N" ]; do
    sed "s/^name=.*/name=\"dc-$i\"/" /tmp/density.cfg >/tmp/density-i.cfg
    /lab/bin/lab-chaosd-create /tmp/density-i.cfg >/tmp/density.out 2>&1 ||
        fail "chaosd create dc-$i: $(cat /tmp/density.out); $(tail -n 5 /tmp/density-chaosd.log)"
    is_checkpoint $i "$N" && sample chaos $i $CHAOSD
    i=$((i + 1))
done
# Every guest must still be running when the last sample is taken.
up=$(chaos list | grep -c '^dc-')
[ "$up" -eq "$N" ] || fail "only $up of $N chaos guests are up"
for id in $(chaos list | awk '$1 ~ /^dc-/ { print $2 }'); do
    chaos destroy "$id" >/dev/null 2>&1
done
wait_for 600 "! chaos list | grep -q '^dc-'" || fail "chaos guests did not go"
kill -TERM $CHAOSD
wait $CHAOSD || fail "chaosd exited with status $?"
rm -rf /var/log/chaos/console/dc-*

# xl needs xenstored, which takes Xen's domain-event interrupt: after chaosd.
/lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up failed"
XS=$(cat /var/run/xenstored.pid)
XC=$(cat /var/run/xenconsoled.pid)
sleep 1
# shellcheck disable=SC2046 # one word per pid
sample xl 0 "$XS" "$XC" $(pids_of xl)
i=1
while [ $i -le "$XL_N" ]; do
    sed "s/^name=.*/name=\"dx-$i\"/" /tmp/density.cfg >/tmp/density-i.cfg
    xl create -q /tmp/density-i.cfg >/tmp/density.out 2>&1 ||
        fail "xl create dx-$i: $(cat /tmp/density.out)"
    # shellcheck disable=SC2046 # one word per pid
    is_checkpoint $i "$XL_N" && sample xl $i "$XS" "$XC" $(pids_of xl)
    i=$((i + 1))
done
up=$(xl list | grep -c '^dx-')
[ "$up" -eq "$XL_N" ] || fail "only $up of $XL_N xl guests are up"
for name in $(xl list | awk '$1 ~ /^dx-/ { print $1 }'); do xl destroy "$name"; done
rm -f /tmp/density.cfg /tmp/density-i.cfg /tmp/density.out
