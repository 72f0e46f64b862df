# tools: the `chaos` command, and the Xen lab (tools/lab).
sbin_PROGRAMS += tools/chaos/chaos
tools_chaos_chaos_SOURCES = \
	tools/chaos/cmd.h \
	tools/chaos/main.c \
	tools/chaos/cmd_host.c \
	tools/chaos/cmd_domain.c
tools_chaos_chaos_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
tools_chaos_chaos_LDADD = libchaos/libchaos.la $(JSONC_LIBS)
