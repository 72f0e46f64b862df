# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/pool-bench).  Sequential creates
# of the chaos unikernel `hello`, left running (it sleeps), so that the
# N-th create happens with N-1 guests up, by three methods in turn:
#   pool    `chaos create` through chaosd, shells from its pool
#   api     the same requests from one long-lived libc client on
#           chaosd's socket (tests/lab/lab-chaosd-load), one after another,
#           as an orchestrator sends them: no process start per create
#   api8    the same client with 8 creates in flight (8 connections)
#   image   `chaos create` through chaosd, shells of an image flavor (the
#           kernel and command line built in ahead: only the name, devices
#           and unpause remain)
#   image-api, image-api8  the same requests by the long-lived client
#   template   `chaos create` through chaosd, paused guests of a template
#           pool: the unikernel `counter` booted once to its first count,
#           saved, restored ahead; a create renames and unpauses one, whose
#           first line is its "resumed in a new domain"
#   template-api  the same requests by the long-lived client
#   direct  `chaos create` through chaosd with the pools emptied (size 0):
#           chaosd builds each guest (prepare + execute)
#   xl      Debian's `xl create` (xenstored, xenconsoled running)
#   floor   not a create: the cheapest pieces one is made of, each N
#           times (tests/lab/lab-floor, lab-unpause), as rows floor-*:
#           floor-true (a process: /bin/true), floor-thin (the thin
#           `chaos create` failing on a bad config: its start and exit),
#           floor-client (a libc process that connects to chaosd, pings
#           it once and exits), floor-ping (a ping on a long-lived
#           connection), floor-unpause (an image pool guest created
#           paused, then one unpause: command_ms the call,
#           first_line_ms its first console line), and with xl:
#           floor-unpause-xl (`xl create -p`, then the same unpause; its
#           console served by xenconsoled)
# All guests of a method are destroyed before the next method starts.
# Prints one CSV line per create:
#   method,n,command_ms,first_line_ms,path,request_ms,exec_ms
# command_ms: wall time of the create command (for the client: from
# sending the request to chaosd's reply); first_line_ms: from the start of
# the command (the request) until the guest's first console line is in
# its log;
# path and request_ms: chaosd's answer (pool/direct; time in chaosd);
# exec_ms: the answer's timings' total_ms, libchaos's own part of
# request_ms (the rest: waiting for a builder, chaosd's loop).
# METHODS (default all): the methods to run, e.g. "template template-api".
N=${N:-20}
METHODS=${METHODS:-pool api api8 image image-api image-api8 template template-api floor direct xl}
want() { case " $METHODS " in *" $1 "*) return 0 ;; esac; return 1; }
XL_N=${XL_N:-10}
API_N=${API_N:-$N}
GAP=${GAP:-0} # ms between creates (`chaos create` and the client)
POOL=${POOL:-32}
PROBE=${PROBE:-0} # 1: probe() before and after each method's creates
REFILL_WORKERS=${REFILL_WORKERS:-1} # chaosd.conf's refill_workers
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
HOLD=sleep_ms=36000000   # 10 h: guests stay up for the whole run
# The image flavor's command line: another text, so that the plain
# methods' requests do not take its shells.
IMAGE_HOLD=sleep_ms=36000001

# The template: counter (it handles suspend), saved as soon as it says its
# interval, so that a clone's first line is its wake-up.  The interval is
# an hour: a clone then sleeps as the other methods' hello guests do (a
# run with a count a second stalled the lab at ~700 clones: 700 guests
# waking every second, and their consoles, starved dom0 under TCG).
TEMPLATE_CMD=interval_ms=3600000
cat >/tmp/bench-template.cfg <<CFG
name = "bench-template"
type = "pv"
kernel = "$UK/counter"
memory = 4
vcpus = 1
cmdline = "$TEMPLATE_CMD"
on_poweroff = "destroy"
on_crash = "destroy"
on_reboot = "destroy"
CFG
cat >/tmp/bench-chaosd.conf <<CONF
socket = "/run/chaos/chaosd.sock"
idle_memory_mib = $((POOL * 12 + 64))
refill_workers = $REFILL_WORKERS
ready_timeout_s = 600
[flavor hello]
type = "pv"
memory = 4
vcpus = 1
pool = $POOL
[flavor hello-image]
type = "pv"
memory = 4
vcpus = 1
kernel = "$UK/hello"
cmdline = "$IMAGE_HOLD"
pool = $POOL
[flavor counter-template]
type = "pv"
memory = 4
vcpus = 1
template = "/tmp/bench-template.cfg"
template_ready = "counter: every"
template_timeout_s = 300
pool = $POOL
CONF
# shellcheck disable=SC3045 # busybox ash's ulimit has -n
ulimit -n 65536
START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
        sed 's|--config [^ ]*|--config /tmp/bench-chaosd.conf|')
$START >/tmp/bench-chaosd.log 2>&1 &
CHAOSD=$!
pool_idle() { chaos pool 2>/dev/null | awk -v f="${1:-hello}" '$1 == f { print $6 }'; }
pools_full() {
    [ "$(pool_idle)" = "$POOL" ] && [ "$(pool_idle hello-image)" = "$POOL" ] &&
        [ "$(pool_idle counter-template)" = "$POOL" ]
}
wait_for 600 pools_full ||
    { tail /tmp/bench-chaosd.log >&2; fail "the pool did not fill"; }

write_cfg() {  # write_cfg FILE NAME [CMDLINE]
    printf 'name="%s"\ntype="pv"\nkernel="%s/hello"\nmemory=4\nvcpus=1\ncmdline="%s"\n' \
        "$2" "$UK" "${3:-$HOLD}" >"$1"
    printf 'on_poweroff="destroy"\non_crash="destroy"\non_reboot="destroy"\n' >>"$1"
}

# probe LABEL: a fixed piece of dom0's own work, timed (on stderr, with
# PROBE=1): 20000 one-byte reads and writes (dd), then 200 files created,
# renamed and removed in a tmpfs (a fork per mv and rm).  Run with no
# guest of the method up and with all of them up, it tells dom0 slowing
# down as a whole from chaos's own costs growing with the guests.
probe() {
    [ "$PROBE" = 1 ] || return 0
    mkdir -p /run/bench-probe
    t0=$(now_ms)
    dd if=/dev/zero of=/dev/null bs=1 count=20000 2>/dev/null
    t1=$(now_ms)
    i=0
    while [ $i -lt 200 ]; do
        echo x >/run/bench-probe/f
        mv /run/bench-probe/f /run/bench-probe/g
        rm /run/bench-probe/g
        i=$((i + 1))
    done
    t2=$(now_ms)
    echo "probe $1: system calls $((t1 - t0)) ms, files $((t2 - t1)) ms" >&2
}

destroy_all() {  # destroys every guest whose name starts with $1
    for id in $(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' |
                grep "\"name\":\"$1" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p'); do
        chaos destroy "$id" >/dev/null 2>&1
    done
    wait_for 120 "! chaos list | grep -q '^$1'" || :
}

run_client() {  # run_client METHOD COUNT CONCURRENCY
    case "$1" in
    image*) write_cfg /tmp/bench-client.cfg @NAME@ "$IMAGE_HOLD" ;;
    template*) sed 's/^name = .*/name = "@NAME@"/' /tmp/bench-template.cfg >/tmp/bench-client.cfg ;;
    *) write_cfg /tmp/bench-client.cfg @NAME@ "$HOLD" ;;
    esac
    LAB_LOAD_GAP_MS=$GAP /lab/bin/lab-chaosd-load /tmp/bench-client.cfg "$2" "$3" "b$1" \
        2>/tmp/bench.err | sed 's/^b//'
    # A failed create ends the client with its reply on stderr (the
    # pipe's status is sed's).
    [ ! -s /tmp/bench.err ] || fail "$1: $(cat /tmp/bench.err)"
}

run_chaos() {  # run_chaos METHOD COUNT
    method=$1
    i=1
    while [ $i -le "$2" ]; do
        name=b$method-$i
        case "$method" in
        image*) write_cfg "/tmp/$name.cfg" "$name" "$IMAGE_HOLD" ;;
        template*) sed "s/^name = .*/name = \"$name\"/" /tmp/bench-template.cfg >"/tmp/$name.cfg" ;;
        *) write_cfg "/tmp/$name.cfg" "$name" "$HOLD" ;;
        esac
        log=/var/log/chaos/console/$name.log
        cmd="chaos create -q --json --daemon /tmp/$name.cfg"
        # shellcheck disable=SC2086 # $cmd is split into words (no blanks in it)
        times=$(LAB_TIME_STDOUT=/tmp/bench.out /lab/bin/lab-time-create "$log" 60 \
                $cmd 2>/tmp/bench.err) ||
            fail "$method create $name: $(cat /tmp/bench.err) $(cat /tmp/bench.out)"
        path=$(sed -n 's/.*"path": *"\([a-z]*\)".*/\1/p' /tmp/bench.out)
        req=$(sed -n 's/.*"request_ms": *\([0-9.]*\).*/\1/p' /tmp/bench.out)
        exe=$(sed -n 's/.*"total_ms": *\([0-9.]*\).*/\1/p' /tmp/bench.out)
        echo "$method,$i,$times,$path,$req,$exe"
        rm -f "/tmp/$name.cfg"
        [ "$GAP" = 0 ] || sleep "$(awk -v g="$GAP" 'BEGIN { print g / 1000 }')"
        i=$((i + 1))
    done
}

echo "method,n,command_ms,first_line_ms,path,request_ms,exec_ms"
for m in pool api api8 image image-api image-api8 template template-api; do
    want $m || continue
    wait_for 600 pools_full || fail "the pools did not refill"
    probe "$m, none of its guests up"
    case "$m" in
    pool | image | template) run_chaos "$m" "$N" ;;
    *8) run_client "$m" "$API_N" 8 ;;
    *) run_client "$m" "$API_N" 1 ;;
    esac
    probe "$m, all its guests up"
    destroy_all "b$m-"
done
# floor_rows NAME CMD...: CMD prints "i,MS" lines; as CSV rows.
floor_rows() {
    name=$1
    shift
    "$@" 2>/tmp/bench.err | sed "s/^/$name,/; s/\$/,,,,/"
    # (the pipe's status is sed's)
    [ ! -s /tmp/bench.err ] || fail "$name: $(cat /tmp/bench.err)"
}
if want floor; then
    wait_for 600 pools_full || fail "the pools did not refill"
    floor_rows floor-true /lab/bin/lab-floor exec "$N" /bin/true
    printf 'name = "bad"\nmemory = "lots"\n' >/tmp/bench-bad.cfg
    floor_rows floor-thin /lab/bin/lab-floor exec "$N" chaos create -q --daemon /tmp/bench-bad.cfg
    floor_rows floor-client /lab/bin/lab-floor exec "$N" /lab/bin/lab-floor ping 1
    floor_rows floor-ping /lab/bin/lab-floor ping "$API_N"
    i=1
    while [ $i -le "$N" ]; do
        name=bfloor-$i
        write_cfg "/tmp/$name.cfg" "$name" "$IMAGE_HOLD"
        chaos create -q -p --json --daemon "/tmp/$name.cfg" >/tmp/bench.out 2>/tmp/bench.err ||
            fail "floor create $name: $(cat /tmp/bench.err)"
        domid=$(sed -n 's/.*"domid": *\([0-9]*\).*/\1/p' /tmp/bench.out)
        path=$(sed -n 's/.*"path": *"\([a-z]*\)".*/\1/p' /tmp/bench.out)
        # A quiet moment: the image pool's refill done, as a floor wants.
        wait_for 600 pools_full || fail "the pools did not refill"
        times=$(/lab/bin/lab-unpause "$domid" "/var/log/chaos/console/$name.log" 60 \
                2>/tmp/bench.err) || fail "unpause $name: $(cat /tmp/bench.err)"
        echo "floor-unpause,$i,$times,$path,,"
        rm -f "/tmp/$name.cfg"
        i=$((i + 1))
    done
    destroy_all bfloor-
fi
chaos pool set hello 0 >/dev/null
chaos pool set hello-image 0 >/dev/null
chaos pool set counter-template 0 >/dev/null
if want direct; then
    run_chaos direct "$N"
    destroy_all bdirect-
fi
kill -TERM $CHAOSD
wait $CHAOSD
want xl || exit 0

# xl needs xenstored, which takes Xen's domain-event interrupt: after chaosd.
/lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up failed"
i=1
while [ $i -le "$XL_N" ]; do
    name=bxl-$i
    write_cfg /tmp/$name.cfg $name
    times=$(/lab/bin/lab-time-create /var/log/xen/console/guest-$name.log 60 \
            xl create -q /tmp/$name.cfg 2>/tmp/bench.err) ||
        fail "xl create $name: $(cat /tmp/bench.err)"
    echo "xl,$i,$times,,,"
    i=$((i + 1))
done
if want floor; then
    # The same unpause of a built guest, its console served by xenconsoled.
    i=1
    while [ $i -le "$XL_N" ]; do
        name=bxlfloor-$i
        write_cfg /tmp/$name.cfg $name
        xl create -q -p /tmp/$name.cfg 2>/tmp/bench.err ||
            fail "xl create -p $name: $(cat /tmp/bench.err)"
        sleep 1 # xenconsoled attached to the new console
        times=$(/lab/bin/lab-unpause "$(xl domid $name)" \
                /var/log/xen/console/guest-$name.log 60 2>/tmp/bench.err) ||
            fail "unpause $name: $(cat /tmp/bench.err)"
        echo "floor-unpause-xl,$i,$times,xl,,"
        i=$((i + 1))
    done
fi
for name in $(xl list | awk 'NR > 2 { print $1 }'); do xl destroy "$name"; done
