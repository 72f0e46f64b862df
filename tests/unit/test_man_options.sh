#!/usr/bin/env bash
# test_man_options.sh: the man pages (docs/man/*.scd) and the programs'
# --help texts must not contradict each other.  For chaos and each of its
# commands, for chaosd and for tinyx and each of its commands, the set of
# options --help shows (its usage lines and option lines) must equal the set
# the man page's section for it shows (its synopsis and option lines).  The
# same for what has no --help of its own: chaosd.conf(5) documents every key
# chaosd/conf.c accepts (and chaosd --help names them), chaos.cfg(5) every
# key libchaos/config/config_keys.c knows, and libchaos(3) every function
# libchaos/chaos.h declares.
#
# No Xen is needed: --help never opens the hypervisor.  Run by `make check`
# from the top build directory (automake sets srcdir); by hand:
#   srcdir=SRC tests/unit/test_man_options.sh        (in the build dir)
# Each disagreement is one line saying which option or key is missing from
# which page or help text; the exit status is 1 if there is any.
set -u
SRC=${srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=$SRC/docs/man
CHAOS=${CHAOS_BIN:-./tools/chaos/chaos}
CHAOSD=${CHAOSD_BIN:-./chaosd/chaosd}
CHAOS_OCI=${CHAOS_OCI_BIN:-./tools/chaos-oci/chaos-oci}
TINYX=${TINYX_BIN:-./tinyx/tinyx}
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Options (-x, --long) in text, one per line, sorted: words starting with
# one or two dashes and a letter, once markup (scdoc's * and _, "=VALUE",
# brackets, bars, commas) is taken away.  "--" alone is not an option.
options_in() {
    tr -d '*_\134' | tr ' \t,=[]|():;' '\n' |
        grep -E '^--?[A-Za-z][A-Za-z0-9-]*$' | sort -u
}

# What a --help text (on stdin) shows: its usage lines ("Usage: ..." and
# its continuation lines, or the lines of a SYNOPSIS section) and the
# option column of its option lines (an indented line starting with a dash:
# the text before the first run of two blanks).
help_options() {
    awk '
        /^Usage:/ { usage = 1 }
        /^SYNOPSIS$/ { usage = 1; next }
        /^[[:space:]]*$/ { usage = 0 }
        usage { print; next }
        /^[ ]+--?[A-Za-z]/ { sub(/^ +/, ""); sub(/  .*/, ""); print }
    ' | options_in
}

# The lines of an scdoc section: from the header line that is exactly $2
# ("# OPTIONS", "## chaos create") to the next header of any level.
scd_section() {
    awk -v hdr="$2" '
        $0 == hdr { on = 1; next }
        /^#/ { on = 0 }
        on
    ' "$1"
}

# compare WHAT HELP-NAME HELP-SET MAN-NAME MAN-SET [nohelp]: each side's
# options (newline-separated, sorted) must be the other's.  -h/--help are
# left out with "nohelp" (every chaos and tinyx command takes them; the
# page says so once).
compare() {
    local what=$1 help_name=$2 help_set=$3 man_name=$4 man_set=$5 skip=${6:-}
    if [ "$skip" = nohelp ]; then
        help_set=$(grep -vxE -e '-h|--help' <<<"$help_set")
        man_set=$(grep -vxE -e '-h|--help' <<<"$man_set")
    fi
    compared=$((compared + $(grep -c . <<<"$help_set")))
    local o
    for o in $(comm -23 <(echo "$help_set") <(echo "$man_set")); do
        fail "$what: $o is in $help_name but not in $man_name"
    done
    for o in $(comm -13 <(echo "$help_set") <(echo "$man_set")); do
        fail "$what: $o is in $man_name but not in $help_name"
    done
}
compared=0

# check_options WHAT HELP-NAME HELP-TEXT MAN-NAME PROG [nohelp], the man
# page section's text on stdin: the options the help text shows must be
# those the section documents, each on an option line of its own (a line
# starting with a bold dash: "*-p*, *--paused*"); and an option of the
# section's synopsis (lines starting with the bold PROG) must have its
# option line too.
check_options() {
    local what=$1 help_name=$2 help_text=$3 man_name=$4 prog=$5 skip=${6:-}
    local section terms o
    section=$(cat)
    terms=$(grep -E '^\*-' <<<"$section" | options_in)
    compare "$what" "$help_name" "$(help_options <<<"$help_text")" \
        "$man_name" "$terms" "$skip"
    for o in $(grep -E "^\\*$prog" <<<"$section" | options_in |
        comm -23 - <(echo "$terms")); do
        fail "$what: $o is in the synopsis of $man_name but has no option line there"
    done
}

# run NAME CMD...: the output of a --help, which must succeed and say
# something, without Xen.  Run in $(...): it says what went wrong on
# standard error and returns 1, and the caller counts the failure.
run_help() {
    local name=$1 out
    shift
    if ! out=$("$@" 2>&1) || [ -z "$out" ]; then
        echo "FAIL: $name fails or prints nothing (it must work without Xen): $out" >&2
        return 1
    fi
    printf '%s\n' "$out"
}

for p in chaos.1 chaosd.8 chaosd.conf.5 chaos.cfg.5 libchaos.3 tinyx.1 chaos-oci.8; do
    [ -f "$MAN/$p.scd" ] || { echo "FAIL: $MAN/$p.scd is missing"; exit 1; }
done

# check_commands PROG BIN PAGE HELP: the commands PROG's --help (HELP)
# lists must be the page's "## PROG CMD" sections, and each command's
# --help must agree with its section.
check_commands() {
    local prog=$1 bin=$2 page=$3 help=$4 c h cmds page_cmds
    cmds=$(awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' \
        <<<"$help" | sort)
    [ -n "$cmds" ] || fail "$prog --help lists no commands"
    page_cmds=$(sed -n "s/^## $prog \\([a-z-]*\\)\$/\\1/p" "$page" | sort)
    for c in $(comm -23 <(echo "$cmds") <(echo "$page_cmds")); do
        fail "$prog $c: in $prog --help but $prog(1) has no section '## $prog $c'"
    done
    for c in $(comm -13 <(echo "$cmds") <(echo "$page_cmds")); do
        fail "$prog $c: $prog(1) has a section for it but $prog --help does not list it"
    done
    for c in $cmds; do
        h=$(run_help "$prog $c --help" "$bin" "$c" --help) || {
            failures=$((failures + 1))
            continue
        }
        check_options "$prog $c" "$prog $c --help" "$h" \
            "$prog(1) section '## $prog $c'" "$prog $c" nohelp \
            < <(scd_section "$page" "## $prog $c")
    done
}

# ---------------------------------------------------------------- chaos(1)
page=$MAN/chaos.1.scd
top=$(run_help "chaos --help" "$CHAOS" --help) || exit 1
check_options "chaos" "chaos --help" "$top" "chaos(1) OPTIONS" chaos \
    < <(scd_section "$page" "# SYNOPSIS"; scd_section "$page" "# OPTIONS")
check_commands chaos "$CHAOS" "$page" "$top"

# ---------------------------------------------------------------- chaosd(8)
page=$MAN/chaosd.8.scd
h=$(run_help "chaosd --help" "$CHAOSD" --help) || exit 1
check_options "chaosd" "chaosd --help" "$h" "chaosd(8) OPTIONS" chaosd \
    < <(scd_section "$page" "# SYNOPSIS"; scd_section "$page" "# OPTIONS")

# ---------------------------------------------------------------- chaos-oci(8)
page=$MAN/chaos-oci.8.scd
oci_help=$(run_help "chaos-oci --help" "$CHAOS_OCI" --help) || exit 1
check_options "chaos-oci" "chaos-oci --help" "$oci_help" "chaos-oci(8) OPTIONS" \
    chaos-oci < <(scd_section "$page" "# SYNOPSIS"; scd_section "$page" "# OPTIONS")

# chaosd.conf keys: the parser's tables (chaosd/conf.c: global_settings[]'s
# rows, set_flavor()'s strcmp()s), chaosd --help's "Configuration" lines
# ("key, key   text" and "[flavor NAME] key, key"), and chaosd.conf(5)'s
# "*key* = ..." lines in its two sections.
conf=$SRC/chaosd/conf.c
parser_global=$(awk '/global_settings\[\] = \{/ { on = 1 } on && /^};/ { on = 0 } on' \
    "$conf" | grep -oE '"[a-z_]+"' | tr -d '"' | sort -u)
parser_flavor=$(sed -n 's/.*!strcmp(key, "\([a-z_]*\)").*/\1/p' "$conf" | sort -u)
if [ -z "$parser_global" ] || [ -z "$parser_flavor" ]; then
    fail "cannot read the keys of chaosd/conf.c (its tables changed shape?)"
fi
help_conf=$(awk '/^Configuration/ { on = 1; next } /^$/ { on = 0 } on' <<<"$h")
help_global=$(grep -E '^  [a-z]' <<<"$help_conf" | sed 's/^  //; s/  .*//' |
    tr ',' '\n' | tr -d ' ' | sort -u)
# The "[flavor NAME]" line and its continuation lines (deeper indented).
help_flavor=$(awk '/^  \[flavor NAME\]/ { on = 1; sub(/^  \[flavor NAME\] */, ""); print; next }
                   on && /^    +[a-z]/ { print; next } { on = 0 }' <<<"$help_conf" |
    tr ',' '\n' | tr -d ' ' | sed '/^$/d' | sort -u)
page=$MAN/chaosd.conf.5.scd
man_keys() {
    scd_section "$page" "$1" | sed -n 's/^\*\([a-z_]*\)\* = .*/\1/p' | sort -u
}
man_global=$(man_keys "# GLOBAL SETTINGS")
man_flavor=$(man_keys "# FLAVOR SETTINGS")
compare "chaosd.conf global keys" "chaosd/conf.c" "$parser_global" \
    "chaosd.conf(5) GLOBAL SETTINGS" "$man_global"
compare "chaosd.conf flavor keys" "chaosd/conf.c" "$parser_flavor" \
    "chaosd.conf(5) FLAVOR SETTINGS" "$man_flavor"
compare "chaosd.conf global keys" "chaosd/conf.c" "$parser_global" \
    "chaosd --help's Configuration" "$help_global"
compare "chaosd.conf flavor keys" "chaosd/conf.c" "$parser_flavor" \
    "chaosd --help's '[flavor NAME]' line" "$help_flavor"

# ---------------------------------------------------------------- tinyx(1)
page=$MAN/tinyx.1.scd
top=$(run_help "tinyx --help" "$TINYX" --help) || exit 1
# (The synopsis lines of the commands are checked with their sections.)
check_options "tinyx" "tinyx --help" "$top" "tinyx(1) OPTIONS" tinyx \
    < <(scd_section "$page" "# SYNOPSIS" | grep -v '^\*tinyx [a-z]'
        scd_section "$page" "# OPTIONS")
check_commands tinyx "$TINYX" "$page" "$top"

# ---------------------------------------------------------------- chaos.cfg(5)
# The keys chaos implements: config__key_names[]'s "[KEY_X] = "x"," rows.
keys=$(sed -n 's/^ *\[KEY_[A-Z_]*\] = "\([a-z_]*\)",$/\1/p' \
    "$SRC/libchaos/config/config_keys.c" | sort -u)
[ -n "$keys" ] || fail "cannot read libchaos/config/config_keys.c's key names"
page=$MAN/chaos.cfg.5.scd
man_cfg=$(scd_section "$page" "# KEYS" | sed -n 's/^\*\([a-z_]*\)\* = .*/\1/p' | sort -u)
compare "guest configuration keys" "libchaos/config/config_keys.c" "$keys" \
    "chaos.cfg(5) KEYS" "$man_cfg"

# ---------------------------------------------------------------- libchaos(3)
# Every function chaos.h declares (comments taken out first: they name
# functions too), and every name(...) libchaos(3) mentions.
funcs=$(awk '{
        out = ""; line = $0
        while (line != "") {
            if (inc) {
                i = index(line, "*/"); if (!i) { line = ""; break }
                line = substr(line, i + 2); inc = 0
            } else {
                i = index(line, "/*"); if (!i) { out = out line; break }
                out = out substr(line, 1, i - 1); line = substr(line, i + 2); inc = 1
            }
        }
        print out
    }' "$SRC/libchaos/chaos.h" | grep -oE '\bchaos_[a-z0-9_]+ *\(' |
    tr -d ' (' | sort -u)
[ -n "$funcs" ] || fail "cannot read libchaos/chaos.h's functions"
page=$MAN/libchaos.3.scd
man_funcs=$(sed 's/[*\\]//g' "$page" |
    grep -oE '\bchaos_[a-z0-9_]+\(' | tr -d '(' | sort -u)
compare "libchaos functions" "libchaos/chaos.h" "$funcs" "libchaos(3)" "$man_funcs"

[ "$compared" -gt 0 ] || fail "no option or key was compared: is the parsing broken?"
if [ "$failures" -gt 0 ]; then
    echo "$failures disagreements between --help texts, sources and man pages (docs/man/)"
    exit 1
fi
echo "man pages and --help agree ($compared options, keys and functions compared)"
