# shellcheck shell=sh
# Runs in the lab's dom0 (see tools/bench/create-bench).  For each guest
# (the chaos unikernel, and Debian's Linux with the lab's busybox initrd)
# and each toolstack (chaos, Debian's xl), creates the guest N times and
# prints one CSV line per create:
#   guest,toolstack,run,command_ms,first_line_ms
# command_ms: wall time of the create command; first_line_ms: from the
# start of the command until the guest's first console line is in its log
# (empty when no console log is available for that toolstack).
N=${N:-20}
# shellcheck source=../../tests/lab/lib.sh
. /lab/tests/lib.sh
/lab/bin/xl-up >/dev/null 2>&1 || fail "xl-up failed"
UK=/usr/local/libexec/chaos/unikernel

write_cfg() {  # write_cfg FILE NAME GUEST
    case $3 in
    unikernel) printf 'name="%s"\ntype="pv"\nkernel="%s/hello"\nmemory=4\n' "$2" "$UK" ;;
    linux) printf 'name="%s"\ntype="pv"\nkernel="/lab/guest/vmlinuz"\nramdisk="/lab/guest/initrd"\nextra="console=hvc0 quiet"\nmemory=128\n' "$2" ;;
    esac >"$1"
    printf 'on_poweroff="destroy"\non_crash="destroy"\n' >>"$1"
}

gone_or_down() {  # gone_or_down DOMID: no such domain, or it has shut down
    st=$(dom_field "$1" state)
    [ -z "$st" ] || [ "$st" = shutdown ] || [ "$st" = crashed ]
}

console_log() {  # console_log TOOLSTACK NAME
    case $1 in
    xl) echo "/var/log/xen/console/guest-$2.log" ;;
    chaos) echo "/var/log/chaos/console/$2.log" ;;
    esac
}

echo "guest,toolstack,run,command_ms,first_line_ms"
for guest in unikernel linux; do
    for ts in chaos xl; do
        i=1
        while [ $i -le "$N" ]; do
            name=bench-$ts-$guest-$i
            write_cfg /tmp/$name.cfg $name $guest
            log=$(console_log $ts $name)
            if [ $ts = chaos ]; then cmd="chaos create -q /tmp/$name.cfg"
            else cmd="xl create -q /tmp/$name.cfg"; fi
            # shellcheck disable=SC2086 # $cmd is split into words (no blanks in it)
            times=$(/lab/bin/lab-time-create "$log" 120 $cmd 2>/tmp/bench.err) ||
                fail "$ts create $name: $(cat /tmp/bench.err)"
            echo "$guest,$ts,$i,$times"
            # Let the guest finish and go away before the next create: it
            # powers off, and its toolstack destroys it (on_poweroff), which
            # may be done before we look; give up waiting after 120 s.
            id=$(chaos list --json | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"name\":\"$name\"" | sed -n 's/.*"domid":\([0-9]*\).*/\1/p')
            [ -n "$id" ] && { wait_for 120 "gone_or_down $id"; chaos destroy "$id" 2>/dev/null; }
            i=$((i + 1))
        done
    done
done
