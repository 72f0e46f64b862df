# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/service-bench).  Issue 13's
# measure "to the first answered request": a service on the network,
# created one at a time, timed from the create command until it answers
# an HTTP GET from dom0, for
#   uk-*  the chaos unikernel `http` (PV, 8 MiB, one vif, noxs)
#   lx-*  the lab's tinyx Linux service `httpd-pv` (Debian's kernel,
#         busybox httpd, PV, 128 MiB, one vif; chaos serves its store)
# by each way of creating it:
#   direct    `chaos create` through chaosd with no pool (chaosd builds
#             the guest; its kernel cache is warm: a warm-up create, n=0,
#             comes first)
#   pool      a plain pool's shell (domain, memory, vif prepared ahead)
#   image     an image pool's shell: the kernel (and the Linux
#             service's initramfs) loaded ahead, the request's command
#             line (its ip=) written in (cmdline_per_request)
#   template  a template pool: the service booted once until it serves,
#             saved, clones restored paused ahead; the request's vif
#             gives the clone its MAC and address
#   warm      a warm template pool (template_warm): the clones also
#             resumed ahead, each at an address of chaosd's (10.0.128.0 +
#             its domain id, template_warm_ip) and paused again; the
#             request names no address and the reply says the clone's
#   warm-api  (lx only) the same requests from a client connected to
#             chaosd's socket before the create (an orchestrator): no
#             process start timed
#   xl        (lx only) Debian's `xl create` of the same Linux image
#             (xenstored, the kernel's netback, a busybox hotplug script)
# in twelve phases, run in this order (PHASES, default all, picks some:
# "1 4" runs the unikernel direct and template phases alone):
#   1-4  uk direct, pool, image, template
#   5-8  lx direct, pool, image, template
#   10   uk warm; 11, 12 lx warm, warm-api
#   9    lx xl (last: xenstored takes Xen's domain-event interrupt)
# Each phase runs its own chaosd with only that flavor; before each
# create the pool is full again (what is timed is the create, not the
# refill).  Every guest gets an address of its own (10.0.1.N/16) and is
# destroyed once it has answered.  dom0's ARP retries every 50 ms on the
# bridge (retrans_time_ms), for every method alike.  The time to the
# answer is lab-time-answer's (tests/lab/lab-time-answer.c): a TCP
# connect and GET in one process, tried again every 5 ms, for every
# method alike (a busybox wget per try cost ~60 ms of process start).
# Prints CSV lines: guest,method,n,command_ms,answer_ms,path,t_ms
#   command_ms: the create command's wall time (warm-api: from sending the
#   request to chaosd's reply); answer_ms: from its start until the first
#   GET answered; path: chaosd's reply (pool, image,
#   template, direct; empty for xl); t_ms: dom0's uptime at the start
#   (service-bench places the create on the host's clock with it).
N=${N:-10}
LX_N=${LX_N:-5}
XL_N=${XL_N:-3}
PHASES=${PHASES:-1 2 3 4 5 6 7 8 10 11 12 9}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
UK=/usr/local/libexec/chaos/unikernel
IMG=/lab/tinyx/httpd-pv
DIR=/tmp/service-bench
rm -rf $DIR
mkdir -p $DIR
[ -x $UK/http ] || fail "unikernel http not installed"
[ -f $IMG/guest.cfg ] || fail "no $IMG/guest.cfg (make lab-tinyx-images on the host)"

brctl addbr chaosbr0 || fail "cannot create the bridge"
if ! ip addr add 10.0.0.1/16 dev chaosbr0 || ! ip link set chaosbr0 up; then
    fail "cannot set up the bridge"
fi
echo 50 >/proc/sys/net/ipv4/neigh/chaosbr0/retrans_time_ms
echo 100 >/proc/sys/net/ipv4/neigh/chaosbr0/mcast_solicit
# shellcheck disable=SC3045 # busybox ash's ulimit has -n
ulimit -n 65536

# want PHASE: whether PHASES has it.
want() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }

# ip_of PHASE N: the N-th guest's address in a phase (10.0.PHASE.N+2).
ip_of() { echo "10.0.$1.$(($2 + 2))"; }

# uk_cfg NAME CMDLINE VIF: the unikernel http.
uk_cfg() {
    cat <<CFG
name = "$1"
type = "pv"
kernel = "$UK/http"
memory = 8
vcpus = 1
vif = [ '$3' ]
cmdline = "$2"
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
CFG
}
# lx_cfg NAME IP VIF: the tinyx image's own config, renamed, in 128 MiB
# (as the lab's other Linux guests), with IP on its command line (what
# its /init takes at boot) unless IP is empty (the template's line kept).
lx_cfg() {
    sed -e "s|^name *=.*|name = \"$1\"|" -e "s|^vif *=.*|vif = [ '$3' ]|" \
        -e "s|^memory *=.*|memory = 128|" \
        -e "${2:+s|ip=10.0.0.2/24|ip=$2/16|}" $IMG/guest.cfg
}
# The templates: their own address (10.0.0.2); a clone gets the
# request's from its vif.
TPL_UK_CMD="ip=10.0.0.2/16 name=tpl-web"
uk_cfg svc-uk-template "$TPL_UK_CMD" bridge=chaosbr0 >$DIR/uk-template.cfg
lx_cfg svc-lx-template "" bridge=chaosbr0 >$DIR/lx-template.cfg

START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service |
        sed "s|--config [^ ]*|--config $DIR/chaosd.conf|")
# chaosd_with FLAVOR-LINES...: chaosd started with one flavor "svc", its
# pool full; sets CHAOSD and POOL.
chaosd_with() {
    { echo 'socket = "/run/chaos/chaosd.sock"'
      echo 'idle_memory_mib = 1024'
      echo 'ready_timeout_s = 600'
      echo '[flavor svc]'
      for l in "$@"; do echo "$l"; done; } >$DIR/chaosd.conf
    $START >>$DIR/chaosd.log 2>&1 &
    CHAOSD=$!
    POOL=$(sed -n 's/^pool = //p' $DIR/chaosd.conf)
    wait_for 600 pool_full || { tail $DIR/chaosd.log >&2; fail "the pool did not fill: $*"; }
}
pool_full() {
    [ "$(chaos pool 2>/dev/null | awk '$1 == "svc" { print $6 }')" = "$POOL" ]
}

# measure GUEST METHOD N CFG IP CMD...: one create by CMD (its config
# CFG; CMD "--chaosd": a request on chaosd's socket), timed by
# lab-time-answer to its answer at IP ("-": the address in the reply);
# prints the CSV line; destroys it.
measure() {
    guest=$1 method=$2 n=$3 cfg=$4 ip=$5
    shift 5
    name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$cfg")
    doms=$(domain_count)
    t0=$(now_ms)
    if [ "$ip" = - ]; then
        set -- /lab/bin/lab-time-answer 120 "$@"
    else
        set -- /lab/bin/lab-time-answer --ip "$ip" 120 "$@"
    fi
    times=$(LAB_TIME_STDOUT=$DIR/out "$@" "$cfg" 2>$DIR/err) ||
        fail "$guest $method $n: $* $cfg: $(cat $DIR/err $DIR/out 2>/dev/null)"
    path=$(sed -n 's/.*"path": *"\([a-z]*\)".*/\1/p' $DIR/out $DIR/err | head -n 1)
    echo "$guest,$method,$n,$times,$path,$t0"
    case "$method" in
    xl) xl destroy "$name" >/dev/null 2>&1 || fail "xl destroy $name" ;;
    *) chaos destroy "$name" >/dev/null 2>&1 || fail "chaos destroy $name" ;;
    esac
    wait_for 60 "[ \$(domain_count) = $doms ]" || fail "$name did not go"
    ip neigh flush dev chaosbr0 >/dev/null 2>&1
}

# phase PHASE GUEST METHOD COUNT FLAVOR-LINES...: chaosd with that flavor;
# COUNT creates of GUEST, each after the pool is full again (for direct
# and the plain pool, first a warm-up create, n=0, left out of the
# tables: it fills chaosd's kernel cache, ~5 s for Debian's kernel under
# TCG, which the plain pool's first create otherwise paid); chaosd
# stopped.
# Nothing unless PHASES has PHASE.  A phase that fails says so on stderr
# and the next one runs.
phase() {
    p=$1 g=$2 m=$3 count=$4
    shift 4
    want "$p" || return 0
    (
        chaosd_with "$@"
        i=1
        case "$m" in direct | pool) i=0 ;; esac
        while [ $i -le "$count" ]; do
            wait_for 600 pool_full || fail "the pool did not refill"
            ip=$(ip_of "$p" $i)
            how="chaos create -q --json --daemon"
            case "$g-$m" in
            *-warm*) ip=- ;;
            esac
            case "$m" in
            warm-api) how=--chaosd ;;
            esac
            case "$g-$m" in
            uk-warm*) uk_cfg "s$i" "$TPL_UK_CMD" "bridge=chaosbr0" >$DIR/g.cfg ;;
            lx-warm*) lx_cfg "s$i" "" "bridge=chaosbr0" >$DIR/g.cfg ;;
            uk-template) uk_cfg "s$i" "$TPL_UK_CMD" "bridge=chaosbr0,ip=$ip/16" >$DIR/g.cfg ;;
            uk-*) uk_cfg "s$i" "ip=$ip/16 name=s$i" "bridge=chaosbr0" >$DIR/g.cfg ;;
            lx-template) lx_cfg "s$i" "" "bridge=chaosbr0,ip=$ip/16" >$DIR/g.cfg ;;
            lx-*) lx_cfg "s$i" "$ip" "bridge=chaosbr0" >$DIR/g.cfg ;;
            esac
            # shellcheck disable=SC2086 # $how is split into words
            measure "$g" "$m" "$i" $DIR/g.cfg "$ip" $how
            i=$((i + 1))
        done
        kill -TERM "$CHAOSD"
        wait "$CHAOSD" || fail "chaosd exited with $?"
    ) || {
        echo "service-bench: $g $m failed" >&2
        tail -n 5 $DIR/chaosd.log >&2
        # No pkill in dom0's busybox; a chaosd left running would hold
        # the socket and every later phase would fail.
        # shellcheck disable=SC2046 # one pid a word
        kill -TERM $(pidof chaosd) 2>/dev/null
        # shellcheck disable=SC2046
        wait_for 60 "! pidof chaosd >/dev/null" || kill -KILL $(pidof chaosd) 2>/dev/null
        for id in $(chaos list --json 2>/dev/null | sed -n 's/.*"domid": *\([0-9]*\).*/\1/p'); do
            [ "$id" = 0 ] || chaos destroy "$id" >/dev/null 2>&1
        done
    }
}

echo "guest,method,n,command_ms,answer_ms,path,t_ms"
UK8='type = "pv"
memory = 8'
LX128='type = "pv"
memory = 128'
VIF='vif = "bridge=chaosbr0"'
phase 1 uk direct "$N" "$UK8" 'pool = 0'
phase 2 uk pool "$N" "$UK8" "$VIF" 'pool = 2'
phase 3 uk image "$N" "$UK8" "kernel = \"$UK/http\"" 'cmdline_per_request = "yes"' \
    "$VIF" 'pool = 2'
phase 4 uk template "$N" "$UK8" "template = \"$DIR/uk-template.cfg\"" \
    'template_ready = "http: listening on"' 'template_timeout_s = 120' 'pool = 2'
phase 5 lx direct "$LX_N" "$LX128" 'pool = 0'
phase 6 lx pool "$LX_N" "$LX128" "$VIF" 'pool = 1'
phase 7 lx image "$LX_N" "$LX128" "kernel = \"$IMG/vmlinuz\"" \
    "ramdisk = \"$IMG/initrd.gz\"" 'cmdline_per_request = "yes"' "$VIF" 'pool = 1'
phase 8 lx template "$N" "$LX128" "template = \"$DIR/lx-template.cfg\"" \
    'template_ready = "tinyx-httpd: serving"' 'template_timeout_s = 180' 'pool = 2'
WARM_IP='template_warm_ip = "10.0.128.0/16"'
phase 10 uk warm "$N" "$UK8" "template = \"$DIR/uk-template.cfg\"" \
    'template_ready = "http: listening on"' 'template_timeout_s = 120' \
    'template_warm = "resumed as"' "$WARM_IP" 'pool = 2'
phase 11 lx warm "$N" "$LX128" "template = \"$DIR/lx-template.cfg\"" \
    'template_ready = "tinyx-httpd: serving"' 'template_timeout_s = 180' \
    'template_warm = "tinyx: resumed"' "$WARM_IP" 'pool = 2'
phase 12 lx warm-api "$N" "$LX128" "template = \"$DIR/lx-template.cfg\"" \
    'template_ready = "tinyx-httpd: serving"' 'template_timeout_s = 180' \
    'template_warm = "tinyx: resumed"' "$WARM_IP" 'pool = 2'

# ---- phase 9: xl, the same Linux image ----
want 9 || exit 0
modprobe xen-netback || fail "cannot load xen-netback"
/lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up could not start xenstored/xenconsoled"
i=1
while [ $i -le "$XL_N" ]; do
    ip=$(ip_of 9 $i)
    lx_cfg "x$i" "$ip" "bridge=chaosbr0,script=/lab/bench/xl-vif-script" >$DIR/x.cfg
    measure lx xl "$i" $DIR/x.cfg "$ip" xl create -q
    i=$((i + 1))
done
