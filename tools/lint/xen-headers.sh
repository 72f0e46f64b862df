#!/bin/sh
# xen-headers.sh [TOP] - fails, listing file:line, if a file outside the
# hypervisor module (libchaos/hv/) includes a Xen header: the module is the
# one place that speaks Xen's types (see libchaos/hv/hv.h), and this check
# keeps it so.  TOP is the source tree (default: two levels above this
# script).  Run by `make lint-xen-headers` (libchaos/hv/local.mk).
#
# Exempt, besides libchaos/hv/:
#   tests/lab/xen-probe.c, tests/lab/lab-vg-xen.c  lab probes of Xen itself,
#       which check the hypervisor and its libraries, not chaos's code;
#   tests/lab/lab-uk-save.c  a lab probe of libxenguest's save and resume
#       against the unikernel (test-uk-suspend.sh);
#   tests/lab/lab-xs-flood.c  a hostile guest program: it speaks the
#       XenStore wire protocol from inside a Linux guest;
#   unikernel/  guest code, built freestanding: it includes Xen's public
#       ABI headers (xen/*.h, through unikernel/xen_abi.h, and
#       xen/elfnote.h in boot.S), the interface a guest speaks to the
#       hypervisor, not dom0's libraries.  No host code links it.
#   libchaos/backend/*_ring.[ch]  the back ends' ring consumers: pure code
#       that reads Xen's ring ABI (xen/io/ring.h, netif.h, blkif.h: the
#       only trustworthy source of those layouts), with no library calls;
#       only xen/io/ headers are allowed there, checked below;
#   libchaos/store/*  the private XenStore (docs/store.md): pure code that
#       speaks the XenStore wire protocol (xen/io/xs_wire.h, its only
#       definition); xen/io/ headers only, as for the back ends' rings.
set -eu

top=${1:-$(dirname "$0")/../..}
cd "$top"

# The tracked and new (not ignored) files of a git checkout; in a tree
# without git (a release tarball), every file but build directories'.
list_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files --cached --others --exclude-standard
    else
        find . -name .git -prune -o -name 'build*' -type d -prune -o \
            -type f -print | sed 's|^\./||'
    fi
}

# Xen's headers: everything under xen/, and its libraries' headers.
libs='xenctrl|xenctrl_compat|xenguest|xenstore|xenstore_lib|xs|xs_lib'
libs="$libs|xenevtchn|xengnttab|xenforeignmemory|xentoollog|xencall"
libs="$libs|xendevicemodel|xentoolcore|xenhypfs|xenstat|libxl|libxl_utils"
libs="$libs|libxl_uuid|libxlutil"
pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"](xen/|($libs)\\.h[>\"])"

found=$(list_files | while IFS= read -r f; do
    case $f in
    libchaos/hv/*|unikernel/*|tests/lab/xen-probe.c|tests/lab/lab-vg-xen.c|tests/lab/lab-xs-flood.c|\
    tests/lab/lab-uk-save.c)
        continue ;;
    libchaos/backend/*_ring.c|libchaos/backend/*_ring.h|libchaos/store/*)
        grep -nE "$pattern" "$f" /dev/null | grep -vE '[<"]xen/io/' || true
        continue ;;
    *.c|*.h|*.S|*.cc|*.cpp) ;;
    *) continue ;;
    esac
    [ -f "$f" ] || continue   # listed by git but deleted in the tree
    grep -nE "$pattern" "$f" /dev/null || true
done)

if [ -n "$found" ]; then
    printf '%s\n' "$found"
    echo "xen-headers: Xen headers outside libchaos/hv/ (the hypervisor" \
         "module is the only code that may include them)" >&2
    exit 1
fi
