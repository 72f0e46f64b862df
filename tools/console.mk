# The console parts of the `chaos` command (docs/console.md): the
# `chaos console` subcommand and the per-guest console monitor that
# `chaos create` starts.  Included after tools/local.mk, which defines the
# program; the library side is in libchaos/console.mk.
tools_chaos_chaos_full_SOURCES += \
	tools/chaos/cmd_console.c \
	tools/chaos/monitor.h \
	tools/chaos/monitor.c
