# shellcheck shell=sh
# Debian's containerd in the lab's dom0, for test-chaos-oci-ctr.sh and
# tools/bench/oci-vs-runc.sh (sourced after lib.sh).  Its binaries come
# from the lab's optional package set "containerd" (lab_extra: containerd,
# ctr, containerd-shim-runc-v2, runc and runc's libseccomp), read over 9p;
# its configuration is docs/oci.md's, with the lab's kernel (or
# $OCI_KERNEL: ctr_start).  Sets CTR_SET
# (the set's folder), OCI_BIN (chaos-oci) and OCI_ROOT (chaos-oci's --root
# as the runc shim passes it: the runtime's Root option, then the
# namespace), or skips the test (77) when the lab has no containerd.

CTR_SET=$(lab_extra containerd) || {
    echo "SKIP: the lab has no containerd (chaos-lab fetch could not get Debian's containerd and runc: see its warning)"
    exit 77
}
OCI_BIN=$(command -v chaos-oci) || fail "chaos-oci is not installed"
CTR_DIR=/tmp/containerd
# shellcheck disable=SC2034 # used by the scripts that source this
OCI_ROOT=/run/containerd/chaos-oci/default
export PATH="$CTR_SET/usr/bin:$CTR_SET/usr/sbin:$PATH"

# ctr_start: containerd with docs/oci.md's configuration, in the
# background (its log: $CTR_DIR/containerd.log); waits until it answers.
ctr_start() {
    mkdir -p "$CTR_DIR"
    cat >"$CTR_DIR/config.toml" <<END
version = 2

# Kubernetes (CRI): the default handler stays runc's (without it, CRI
# refuses the configuration) ...
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

# ... and the handler "chaos" runs the same shim with chaos-oci as its runc.
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.chaos]
  runtime_type = "io.containerd.runc.v2"
  pod_annotations = ["org.chaos.*"]
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.chaos.options]
    BinaryName = "$OCI_BIN"
    Root = "/run/containerd/chaos-oci"
END
    # runc's libseccomp, where ld.so looks without being told: runc
    # re-executes itself as `runc init` with an environment of its own (no
    # LD_LIBRARY_PATH), and died at once with it.
    LIBSECCOMP=/usr/lib/x86_64-linux-gnu/libseccomp.so.2
    if [ ! -e "$LIBSECCOMP" ]; then
        mkdir -p "${LIBSECCOMP%/*}"
        ln -s "$CTR_SET$LIBSECCOMP" "$LIBSECCOMP"
    else
        LIBSECCOMP=
    fi
    # CRI's stream server listens on 127.0.0.1 and containerd exits when
    # it cannot ("bind: cannot assign requested address"): dom0 boots with
    # lo down, and only some tests before this one bring it up.
    ip link set lo up || fail "cannot bring up lo"
    # The shim passes containerd's environment on to the runtime: the
    # guests' kernel (OCI_KERNEL, else the lab's Debian kernel; chaos-oci
    # resolves a link at each create, so a caller may point OCI_KERNEL at
    # a link and switch kernels without restarting containerd).
    CHAOS_OCI_KERNEL=${OCI_KERNEL:-/lab/guest/vmlinuz} \
        containerd --config "$CTR_DIR/config.toml" >"$CTR_DIR/containerd.log" 2>&1 &
    CTRD_PID=$!
    # Until it answers, or has exited (then at once, with its last words).
    wait_for 300 "ctr version >/dev/null 2>&1 || ! kill -0 $CTRD_PID 2>/dev/null"
    if ! kill -0 $CTRD_PID 2>/dev/null || ! ctr version >/dev/null 2>&1; then
        fail "containerd does not answer (exited, or 300 s): $(tail -n 5 "$CTR_DIR/containerd.log")"
    fi
}

# ctr_stop: containerd gone, and its folders (tmpfs and rootfs: RAM).
ctr_stop() {
    [ -n "${CTRD_PID:-}" ] || return 0
    kill "$CTRD_PID" 2>/dev/null
    wait "$CTRD_PID" 2>/dev/null
    CTRD_PID=
    rm -rf /var/lib/containerd /run/containerd "$CTR_DIR"
    [ -z "${LIBSECCOMP:-}" ] || rm -f "$LIBSECCOMP"
}

# shim_pids: the runc shims still running.
shim_pids() {
    for f in /proc/[0-9]*/cmdline; do
        tr '\0' ' ' <"$f" 2>/dev/null | grep -q '^[^ ]*containerd-shim-runc-v2 ' &&
            { d=${f%/cmdline}; echo "${d#/proc/}"; }
    done
}

# busybox_rootfs DIR: a root file system of dom0's static BusyBox.
busybox_rootfs() {
    mkdir -p "$1/bin"
    cp /bin/busybox "$1/bin/busybox"
    for a in sh echo sleep cat true; do ln -sf busybox "$1/bin/$a"; done
}
