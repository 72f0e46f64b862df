# shellcheck shell=sh
# Runs in the lab's dom0 (tools/demo): what chaos and xl see of a real Xen.
step() { printf '\n== %s\n' "$*"; }
step "chaos --version"; chaos --version
step "chaos info"; chaos info
step "chaos list"; chaos list
step "chaos create: the chaos unikernel 'hello' as a PV guest (4 MiB, no XenStore)"
cd /usr/local/libexec/chaos/unikernel && grep -v '^#' hello-pv.cfg && cd /
chaos create --timings /usr/local/libexec/chaos/unikernel/hello-pv.cfg \
    kernel=/usr/local/libexec/chaos/unikernel/hello
step "chaos create: Debian's Linux kernel + a busybox initramfs as a PV guest"
cat >/tmp/chaos-linux.cfg <<CFG
name = "chaos-linux"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet"
memory = 128
CFG
chaos create --timings /tmp/chaos-linux.cfg
sleep 20
step "chaos list: both guests ran their init and powered off"
chaos list
chaos destroy chaos-hello-pv; chaos destroy chaos-linux
step "Debian's xl, for comparison: xl info (first lines)"
/lab/bin/xl-up && xl info | head -n 12
step "xl create: a Linux PV guest (Debian's kernel + a busybox initramfs)"
cat >/tmp/demo.cfg <<CFG
name = "demo-pv"
type = "pv"
kernel = "/lab/guest/vmlinuz"
ramdisk = "/lab/guest/initrd"
extra = "console=hvc0 quiet"
memory = 128
on_poweroff = "destroy"
CFG
cat /tmp/demo.cfg
xl create /tmp/demo.cfg
step "chaos list, with the guest running"; chaos list
for _ in $(seq 1 600); do
    grep -q CHAOS-LAB-GUEST-OK /var/log/xen/console/guest-demo-pv.log 2>/dev/null && break
    sleep 0.2
done
step "the guest's console"; tr -d '\r' </var/log/xen/console/guest-demo-pv.log | tail -n 3
sleep 3
step "chaos list, after the guest powered off"; chaos list

step "chaosd: the pool daemon, started with its systemd unit's ExecStart"
START=$(sed -n 's/^ExecStart=//p' /usr/local/lib/systemd/system/chaosd.service)
echo "$START"
$START >/tmp/chaosd.log 2>&1 &
CHAOSD=$!
for _ in $(seq 1 600); do grep -q 'ready' /tmp/chaosd.log && break; sleep 0.2; done
sed 's/^/  chaosd: /' /tmp/chaosd.log
chaos pool
chaos events >/tmp/events.txt 2>&1 &
EVENTS=$!
step "chaos create through chaosd: the kernel goes into a prepared shell"
cd /usr/local/libexec/chaos/unikernel || exit 1
chaos create --timings hello-pv.cfg name=demo-pool
cd /
sleep 2
tr -d '\r' </var/log/chaos/console/demo-pool.log | head -n 3
step "a tinyx image: Debian's sqlite3 (built on the host by tinyx build) as a PV guest"
grep -v '^#' /lab/tinyx/sqlite3-pv/guest.cfg
chaos create /lab/tinyx/sqlite3-pv/guest.cfg
for _ in $(seq 1 1500); do
    grep -q 'tinyx: exit status' /var/log/chaos/console/tinyx-sqlite3-pv.log 2>/dev/null && break
    sleep 0.2
done
echo "its console:"
tr -d '\r' </var/log/chaos/console/tinyx-sqlite3-pv.log | grep -v '^$' | tail -n 3
sleep 2
step "what chaos events printed meanwhile"
kill $EVENTS; cat /tmp/events.txt
step "chaosd stops on SIGTERM: idle shells destroyed, guests left alone"
kill -TERM $CHAOSD; wait $CHAOSD; chaos list
