#!/bin/sh
# tools/lint/format.sh [--fix] [SRC-DIR]: checks that every C file of the
# project is formatted as .clang-format says (clang-format, Debian's
# clang-format package); with --fix, rewrites them instead.  Lists the
# files that differ and exits 1 when any does.
set -eu
fix=no
if [ "${1:-}" = --fix ]; then fix=yes; shift; fi
src=${1:-$(dirname "$0")/../..}
cd "$src"
command -v clang-format >/dev/null 2>&1 ||
    { echo "format: clang-format not found (apt-get install clang-format)" >&2; exit 2; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find . -name '*.[ch]' -not -path './build*' -not -path './.git/*' | sed 's|^\./||')
fi
bad=0
for f in $files; do
    if [ "$fix" = yes ]; then
        clang-format -i "$f"
    elif ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "format: $f is not formatted as .clang-format says (tools/lint/format.sh --fix, or make format)"
        bad=1
    fi
done
exit $bad
