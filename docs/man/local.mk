# Man pages: written in scdoc (docs/man/*.scd; scdoc(5)), turned into roff
# by scdoc(1) in the build directory and installed by `make install`.  The
# installed paths they name (@sysconfdir@, ...) are substituted first, as
# in chaosd's units, so a page says where this build puts its files.
# tests/unit/test_man_options.sh checks the pages against the programs'
# --help texts and the sources' tables of keys and functions.
MAN_PAGES = docs/man/chaos.1 docs/man/tinyx.1 docs/man/libchaos.3 \
	docs/man/chaos.cfg.5 docs/man/chaosd.conf.5 docs/man/chaosd.8 \
	docs/man/chaos-oci.8
man_MANS = $(MAN_PAGES)
EXTRA_DIST += $(MAN_PAGES:=.scd)
CLEANFILES += $(MAN_PAGES)

docs/man/chaos.1: $(srcdir)/docs/man/chaos.1.scd
docs/man/tinyx.1: $(srcdir)/docs/man/tinyx.1.scd
docs/man/libchaos.3: $(srcdir)/docs/man/libchaos.3.scd
docs/man/chaos.cfg.5: $(srcdir)/docs/man/chaos.cfg.5.scd
docs/man/chaosd.conf.5: $(srcdir)/docs/man/chaosd.conf.5.scd
docs/man/chaosd.8: $(srcdir)/docs/man/chaosd.8.scd
docs/man/chaos-oci.8: $(srcdir)/docs/man/chaos-oci.8.scd
$(MAN_PAGES): Makefile
	@$(MKDIR_P) docs/man
	$(AM_V_GEN)sed -e 's|@VERSION[@]|$(VERSION)|g' \
	  -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	  -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' -e 's|@docdir[@]|$(docdir)|g' \
	  -e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
	  -e 's|@systemdsystemunitdir[@]|$(systemdsystemunitdir)|g' \
	  $(srcdir)/$@.scd | $(SCDOC) >$@.tmp && mv $@.tmp $@

# The pages must agree with --help (no Xen needed: --help never opens it).
TESTS += tests/unit/test_man_options.sh
EXTRA_DIST += tests/unit/test_man_options.sh
