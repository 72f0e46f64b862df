#!/bin/sh
# libchaos.so exports exactly the functions chaos.h declares: nothing
# internal (chaos__*, hv_*, registry_*, ...) leaks into the ABI that
# debian/libchaos0.symbols records, and nothing declared is missing.
# Run by `make check` from the build directory ($srcdir: the sources).
so=libchaos/.libs/libchaos.so
hdr=${srcdir:-.}/libchaos/chaos.h
[ -f "$so" ] || { echo "SKIP: $so not built (--disable-shared?)"; exit 77; }
command -v nm >/dev/null || { echo "SKIP: no nm (binutils)"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$so" | awk '{ print $NF }' | sort -u >"$tmp/exported"
# Declarations: a chaos_ name followed by '(' on a line that is not a
# typedef (function types such as chaos_supervisor_restart_fn).
grep -v '^typedef' "$hdr" | grep -oE '\bchaos_[a-z][a-z0-9_]*[[:space:]]*\(' |
    tr -d ' (' | sort -u >"$tmp/declared"
status=0
leaked=$(comm -23 "$tmp/exported" "$tmp/declared")
missing=$(comm -13 "$tmp/exported" "$tmp/declared")
[ -z "$leaked" ] || { echo "exported but not in chaos.h:"; echo "$leaked"; status=1; }
[ -z "$missing" ] || { echo "in chaos.h but not exported:"; echo "$missing"; status=1; }
[ "$status" != 0 ] ||
    echo "libchaos.so: $(wc -l <"$tmp/exported") symbols, all declared in chaos.h"
exit $status
