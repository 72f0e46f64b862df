# Runs in the lab's dom0 (tools/demo): what chaos and xl see of a real Xen.
step() { printf '\n== %s\n' "$*"; }
step "chaos --version"; chaos --version
step "chaos info"; chaos info
step "chaos list"; chaos list
step "chaos create: the chaos unikernel 'hello' as a PV guest (4 MiB, no XenStore)"
cd /usr/local/libexec/chaos/unikernel && cat hello-pv.cfg | grep -v '^#' && cd /
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
for i in $(seq 1 600); do
    grep -q CHAOS-LAB-GUEST-OK /var/log/xen/console/guest-demo-pv.log 2>/dev/null && break
    sleep 0.2
done
step "the guest's console"; tr -d '\r' </var/log/xen/console/guest-demo-pv.log | tail -n 3
sleep 3
step "chaos list, after the guest powered off"; chaos list
