#!/bin/sh
# Runs shellcheck (default settings: every severity, style included) on
# every shell script of the source tree; exits non-zero on any finding.
#
#   tools/lint/shellcheck.sh [SRCDIR]      (default: the tree this file is in)
#
# A script is a file ending in .sh or one whose first line is a sh, bash or
# busybox sh shebang; in a git checkout the files git tracks, else every
# file under SRCDIR.  Scripts the lab runs in dom0 are busybox sh: they
# start with `#!/bin/sh`, `#!/bin/busybox sh` or `# shellcheck shell=sh`,
# so shellcheck holds them to POSIX sh.
#
# How shellcheck must be called (editors too: .shellcheckrc says the same):
#   $ shellcheck -x -P SCRIPTDIR FILE...
# -x follows `. FILE`; the lab tests source /lab/tests/lib.sh, a path of the
# lab, so each says `# shellcheck source=lib.sh` (relative to the script's
# own folder, which -P SCRIPTDIR makes the search path).
# A finding kept on purpose gets `# shellcheck disable=SCnnnn # reason`.
set -eu

src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "shellcheck.sh: shellcheck is not installed (apt-get install shellcheck)" >&2
    exit 2
fi

# Candidate files, NUL-free: names with newlines are not ours.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    list() { git ls-files; }
else
    # A release tarball: skip what autotools generated (as .gitignore does)
    # and build directories.
    list() {
        find . \( -name .git -o -name autom4te.cache -o -path './build*' \) \
            -prune -o -type f -print | sed 's|^\./||' |
            grep -v -e '^configure~*$' -e '^config\.status$' -e '^libtool$'
    }
fi

scripts=$(mktemp)
trap 'rm -f "$scripts"' EXIT
list | while IFS= read -r f; do
    [ -f "$f" ] || continue
    case "$f" in
    *.sh) echo "$f"; continue ;;
    esac
    first=$(head -n 1 "$f" 2>/dev/null | tr -d '\0') || first=
    case "$first" in
    '#!'*/sh | '#!'*/sh' '* | '#!'*/bash | '#!'*/bash' '* | \
    '#!'*'env bash'* | '#!'*'env sh'* | '#!'*'busybox sh'*) echo "$f" ;;
    esac
done >"$scripts"

if [ ! -s "$scripts" ]; then
    echo "shellcheck.sh: no shell scripts found in $src" >&2
    exit 2
fi
n=$(wc -l <"$scripts")
# Names have no blanks (git ls-files would quote odd ones anyway).
# shellcheck disable=SC2046 # one argument per line of $scripts
if shellcheck -x -P SCRIPTDIR $(cat "$scripts"); then
    echo "shellcheck: $n scripts, no findings"
else
    echo "shellcheck: findings above (in $n scripts)" >&2
    exit 1
fi
