#!/bin/sh
# Lab test of the chaos unikernel: boots the installed images with Debian's
# xl inside the lab's dom0, as PV and PVH, and checks what their consoles
# say and that the domains go away.  Run it from the host with
#   tools/lab/chaos-lab run /lab/tests/run-all xl-unikernel
# (run-all runs it with the other lab tests).
# Busybox sh.  Exit 0 when every check passed.
# shellcheck source=lib.sh
. /lab/tests/lib.sh
UK=${UK_DIR:-/usr/local/libexec/chaos/unikernel}
/lab/bin/xl-up || fail "xl-up could not start xenstored/xenconsoled"
# shellcheck disable=SC2015 # fail unless both are there: as meant
[ -f "$UK/hello" ] && [ -f "$UK/echo" ] || fail "no images in $UK"

# boot NAME TYPE IMAGE [CMDLINE]: xl create a 4 MiB guest (no -c: the lab
# has no console client; xenconsoled logs every guest).
boot() {
    cat >"/tmp/$1.cfg" <<CFG
name = "$1"
type = "$2"
kernel = "$UK/$3"
memory = 4
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
on_reboot = "destroy"
cmdline = "$4"
CFG
    xl create "/tmp/$1.cfg" >"/tmp/$1.create" 2>&1 ||
        fail "xl create $1: $(cat "/tmp/$1.create")"
}
console() { tr -d '\r' <"/var/log/xen/console/guest-$1.log" 2>/dev/null; }
expect() {   # NAME TEXT: wait until the console shows TEXT
    wait_for 60 "console $1 | grep -qF -- '$2'" ||
        fail "$1: no '$2' on the console; it says: $(console "$1")"
}
gone() {
    wait_for 60 "! xl domid $1 >/dev/null 2>&1" ||
        fail "$1 did not go away: $(xl list)"
}
# The pty xenconsoled opened for the guest created last (it keeps each
# guest's pty open); input written there reaches the guest's ring.
xenconsoled_ptys() {
    # shellcheck disable=SC2012 # reads the link targets ls prints
    ls -l /proc/"$(cat /var/run/xenconsoled.pid)"/fd |
        sed -n 's|.*-> \(/dev/pts/[0-9]*\)$|\1|p' | sort
}

for mode in pv pvh; do
    name=uk-hello-$mode
    boot $name $mode hello
    expect $name "hello from chaos unikernel"
    expect $name "chaos-boot-mode=$mode"
    gone $name
    console $name | grep -q '^chaos-boot-ns=[0-9][0-9]*$' ||
        fail "$name: no chaos-boot-ns line: $(console $name)"
    echo "$name: $(console $name | grep '^chaos-' | tr '\n' ' ')"

    name=uk-exit-$mode
    boot $name $mode hello "sleep_ms=300 exit=3"
    expect $name "exit status 3"
    gone $name
    console $name | grep -q '^slept [0-9]* ms$' || fail "$name: did not sleep"
    echo "$name: $(console $name | grep -e '^slept' -e '^exit')"

    name=uk-echo-$mode
    before=$(xenconsoled_ptys)
    boot $name $mode echo "idle_timeout_ms=120000"
    expect $name "echo: ready"
    pty=$(xenconsoled_ptys | grep -vxF "$before" | tail -n 1)
    [ -c "$pty" ] || fail "$name: cannot find its console pty"
    printf 'hello over LF\n' >"$pty"
    expect $name "echo: hello over LF"
    printf 'and over CR\r' >"$pty"
    expect $name "echo: and over CR"
    printf 'quit\n' >"$pty"
    expect $name "echo: bye"
    gone $name
    echo "$name: answered two lines and quit"

    name=uk-panic-$mode
    boot $name $mode hello "crash=panic"
    expect $name "panic: crash=panic on the command line"
    gone $name
    echo "$name: panicked and was destroyed"
done

# A page fault: PVH reports it through trap.c; a PV guest is crashed by Xen.
name=uk-fault-pvh
boot $name pvh hello "crash=fault"
expect $name "panic: exception 14 (page fault)"
gone $name
echo "$name: $(console $name | grep '^panic')"
name=uk-fault-pv
boot $name pv hello "crash=fault"
expect $name "hello: reading"
gone $name
echo "$name: crashed and was destroyed"
echo "unikernel lab test: all checks passed"
