# Unit tests (Check): each area's local.mk lists its own test programs.
# What they all share: check_run.h, the end of every test program's main().
EXTRA_DIST += tests/unit/check_run.h
