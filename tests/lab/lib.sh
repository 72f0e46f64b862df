# shellcheck shell=sh
# Helpers for lab tests (sourced).  Busybox sh.
fail() { echo "FAIL: $*"; exit 1; }
# Milliseconds since dom0 booted (busybox date has no %N).
now_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# wait_for SECONDS 'shell condition': polls every 0.2 s.
wait_for() {
    limit=$(( $(date +%s) + $1 ))
    while ! eval "$2"; do
        [ "$(date +%s)" -ge "$limit" ] && return 1
        sleep 0.2
    done
    return 0
}
# Number of domains Xen reports (dom0 included).
domain_count() { chaos list --json | grep -c '"domid"'; }
