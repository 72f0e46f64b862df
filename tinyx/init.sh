#!/bin/busybox sh
# shellcheck shell=sh # busybox ash: keep to POSIX sh
# /init of a tinyx image (template; `tinyx build` replaces the marker line
# below with the application's settings and writes the result as /init).
#
# It mounts what a program usually expects, runs the application with its
# arguments and environment on the console, reports its exit status as
#     tinyx: exit status N
# and powers the VM off (reboots it after a failure: see the end).  The
# kernel runs it from the initramfs, so the root file system is the
# initramfs itself (rootfs): nothing to switch to.
# Every tool is called through busybox by name: the image may hold a program
# of its own called `mount` or `sh`.
bb=/bin/busybox

# What the build wrote for the application: TINYX_HOSTNAME, TINYX_WORKDIR,
# TINYX_MODULES, the exported environment, and "set -- PROGRAM ARG...".
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
$bb ip link set lo up 2>/dev/null

for m in $TINYX_MODULES; do
    $bb insmod "$m" || echo "tinyx: cannot load module $m"
done

cd "$TINYX_WORKDIR" || echo "tinyx: cannot enter $TINYX_WORKDIR"
"$@"
status=$?
echo "tinyx: exit status $status"
$bb sync
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
