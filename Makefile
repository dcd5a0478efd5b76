# mmapconf - build and run the mmap conformance suite.
#
#   make            build every test program (-Wall -Wextra -Werror)
#   make check      install missing packages (root), build, run the suite with
#                   kyua on this machine, write reports/$(LABEL)/;
#                   BASELINE=FILE: those known divergences do not fail it;
#                   ONLY=, IDS=, SKIP_LIST=: part of the suite
#   make recheck    the last check's failed and broken cases, again
#   make coverage   the same with --coverage builds: reports/coverage/
#   make selftest   the project's own test command (check + invariants)
#   make bench      wall time of the suite (median of 5) and per-case overhead
#   make matrix     the suite under other kernels (qemu) and environments
#   make mutants    mutation testing: which cases catch each injected fault
#   make stress     the suite 10 times under stress-ng load, differences reported

SHELL = /bin/sh
CC ?= cc
BUILD ?= build
OPT ?= -O2 -g
ifeq ($(origin LABEL),undefined)
LABEL := host-$(shell uname -r)
endif
PARALLELISM ?= 2
KERNEL ?= 6.12

# --- every variable a user may set is checked before anything runs ---------
# Harness input is hostile: a value reaches a recipe only through the
# environment ("$$LABEL"), and before that its raw text ($(value), never
# expanded) may hold only the characters of its kind; anything else (quotes,
# backticks, $, ;, |, &, newlines, spaces in a single value) stops make with
# one line and exit 2 before any recipe or $(shell) sees it.  The harness
# entry points then check the meaning (a known kernel, a free label, ...).
mc_chars_name := a b c d e f g h i j k l m n o p q r s t u v w x y z \
	A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 . _ + -
mc_chars_path := $(mc_chars_name) /
mc_chars_url := $(mc_chars_path) : ~ % @
mc_chars_flags := $(mc_chars_path) = , :
mc_chars_num := 0 1 2 3 4 5 6 7 8 9
# $(call mc_rest,TEXT,CHARS): TEXT without any of CHARS
mc_rest = $(if $(2),$(call mc_rest,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
define mc_nl


endef
# $(call mc_check,VAR,CHARS,ONE,WHAT): stop unless VAR's raw text is made of
# CHARS (and, when ONE is set, is at most one word; never a newline, which
# a recipe line would run as a second command); the error is one line
mc_check = $(if $(or $(strip $(call mc_rest,$(value $(1)),$(2))),$(and $(3),$(filter-out 0 1,$(words $(value $(1))))),$(findstring $(mc_nl),$(value $(1)))),$(error bad $(1) '$(subst $(mc_nl),\n,$(value $(1)))': $(4)))
mc_what_name := one word of letters, digits and . _ + -
mc_what_names := names of letters, digits and . _ + - separated by spaces
mc_what_num := a whole number
mc_what_path := one path of letters, digits and . _ + - / (no spaces or shell characters)
mc_what_url := one word of letters, digits and . _ + - / : ~ % @
mc_what_flags := compiler words of letters, digits and . _ + - / = , :
$(foreach v,LABEL KERNEL ACCEL HOST LAVA_DEVICE_TYPE LAVA_BOOT,$(call mc_check,$(v),$(mc_chars_name),1,$(mc_what_name)))
$(if $(filter .%,$(value LABEL)),$(error bad LABEL '$(value LABEL)': it may not start with a dot))
$(foreach v,KERNELS ENVS MUTANTS,$(call mc_check,$(v),$(mc_chars_name),,$(mc_what_names)))
$(foreach v,PARALLELISM JOBS LAVA_WAIT LAVA_TEST_MINUTES LAVA_BOOT_MINUTES,$(call mc_check,$(v),$(mc_chars_num),1,$(mc_what_num)))
mc_chars_glob := $(mc_chars_path) : * ?
mc_what_globs := words of letters, digits and . _ + - / : * ? separated by spaces
$(foreach v,ONLY IDS,$(call mc_check,$(v),$(mc_chars_glob),,$(mc_what_globs)))
$(foreach v,BUILD BASELINE AGAINST CACHE DESTDIR PREFIX TESTSDIR SKIP_LIST LAVA_TOKEN_FILE LAVA_ARTIFACTS_DIR,$(call mc_check,$(v),$(mc_chars_path),1,$(mc_what_path)))
$(foreach v,LAVA_URL LAVA_ARTIFACTS_URL LAVA_SERVE LAVA_TOKEN,$(call mc_check,$(v),$(mc_chars_url),1,$(mc_what_url)))
$(foreach v,CC OPT EXTRA_CFLAGS EXTRA_LDFLAGS EXTRA_LDLIBS ATF_CFLAGS ATF_LIBS,$(call mc_check,$(v),$(mc_chars_flags),,$(mc_what_flags)))
WARN = -Wall -Wextra -Werror
ATF_CFLAGS ?= $(shell pkg-config --cflags atf-c 2>/dev/null)
ATF_LIBS ?= $(shell pkg-config --libs atf-c 2>/dev/null || echo -latf-c)
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Itests/lib $(ATF_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS_ALL = $(ATF_LIBS) $(EXTRA_LDLIBS)

SRCS := $(sort $(wildcard tests/*/t_*.c))
PROGS := $(patsubst %.c,$(BUILD)/%,$(SRCS))
LIBSRCS := $(sort $(wildcard tests/lib/*.c))
LIBHDRS := $(wildcard tests/lib/*.h)
LIBOBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIBSRCS))
TOOLS := $(BUILD)/harness/envprobe
# The mutation injector (ptrace, x86_64 registers) builds under -Werror too.
ifneq ($(filter x86_64-%,$(shell $(CC) -dumpmachine 2>/dev/null)),)
TOOLS += $(BUILD)/harness/inject
endif

all: $(PROGS) $(TOOLS) $(BUILD)/Kyuafile

# The Kyuafiles list what was built (harness/lib/kyuafiles): kyua runs
# $(BUILD)/Kyuafile, names cases tests/<area>/t_*:case, and needs no source.
# $(BUILD)/cases.txt (harness/lib/manifest) lists every case the build must
# hold: a copy of the suite that lacks one is refused, never run as green.
$(BUILD)/Kyuafile: $(PROGS) harness/lib/kyuafiles harness/lib/manifest
	@harness/lib/kyuafiles "$$BUILD"
	@harness/lib/manifest "$$BUILD"

# The library objects are real targets, not intermediates to delete.
.SECONDARY: $(LIBOBJ)

$(BUILD)/tests/lib/%.o: tests/lib/%.c $(LIBHDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(LIBOBJ) $(LIBHDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(EXTRA_LDFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS_ALL)

# The version and commit (harness/lib/version): rewritten only when they
# change; envprobe records them in every env.json.
$(BUILD)/version.h: FORCE
	@harness/lib/version --write "$$BUILD"

$(BUILD)/harness/envprobe: harness/guest/envprobe.c $(BUILD)/version.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -I$(BUILD) $(EXTRA_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $<

$(BUILD)/harness/inject: harness/campaigns/mutant/inject.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(EXTRA_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $<

deps:
	@harness/lib/deps

# Variables reach recipes through the environment, never pasted into
# recipe text.  BASELINE: a file or folder of known divergences
# (harness/baselines/README.md): those failures do not fail the run.
# ONLY, IDS, SKIP_LIST: part of the suite (harness/produce/run-suite --help):
# ONLY="mremap t_cow *:*fork*" (areas, programs, catalogue areas, case
# globs), IDS="COW-* MREMAP-3", SKIP_LIST=FILE (case globs to leave out).
export LABEL PARALLELISM BUILD BASELINE DESTDIR ONLY IDS SKIP_LIST
check: deps
	@$(MAKE) --no-print-directory all
	@harness/produce/run-suite --label "$$LABEL" --build "$$BUILD" --parallelism "$$PARALLELISM" $${BASELINE:+--baseline "$$BASELINE"} \
		$${ONLY:+--only "$$ONLY"} $${IDS:+--ids "$$IDS"} $${SKIP_LIST:+--skip-list "$$SKIP_LIST"}

# The failed and broken cases of the last make check, again, into
# reports/$(LABEL)-recheck/ (the full run's folder stays as it was).
recheck: deps
	@$(MAKE) --no-print-directory all
	@harness/produce/run-suite --label "$$LABEL-recheck" --build "$$BUILD" --parallelism "$$PARALLELISM" $${BASELINE:+--baseline "$$BASELINE"} \
		--recheck "reports/$$LABEL"

coverage: deps
	@harness/campaigns/coverage

selftest: deps
	@harness/selftest/selftest

bench: deps all
	@harness/campaigns/bench

# Across kernels and environments (issue 4/5/8): one run folder per column.
# KERNELS unset: harness/kernels/specs.sh's default list.
export ENVS JOBS ACCEL AGAINST CACHE HOST
# make exports an unset variable as empty, and KERNELS= means "no kernel":
# pass KERNELS only when the user set it, so unset means the default list.
ifneq ($(origin KERNELS),undefined)
export KERNELS
endif
matrix: deps all
	@harness/campaigns/matrix

# Mutation testing (issue 6): faults injected one at a time.
export MUTANTS
mutants: deps all
	@harness/campaigns/mutants --build "$$BUILD"

# Kernel mm/ coverage with gcov (issue 7): KERNEL=6.12 or 6.1; the gcov
# kernel is built once (about 5 min idle, cached) and boots under qemu.
export KERNEL
kernel-coverage: deps all
	@harness/campaigns/kernel-coverage --build "$$BUILD" "$$KERNEL"

# Fleet scale on LAVA (issue 9): one LAVA job per kernel, run folders in reports/.
export LAVA_URL LAVA_TOKEN LAVA_TOKEN_FILE LAVA_DEVICE_TYPE LAVA_BOOT LAVA_WAIT \
	LAVA_ARTIFACTS_DIR LAVA_ARTIFACTS_URL LAVA_SERVE LAVA_TEST_MINUTES LAVA_BOOT_MINUTES
lava-run: deps all
	@harness/produce/lava
lava-submit: deps all
	@harness/produce/lava --lab
lava-server-check: deps all
	@harness/selftest/lava-server-check

stress: deps all
	@harness/campaigns/stress

# The suite under resource limits (memlock 0, nproc, RLIMIT_AS,
# overcommit 2, max_map_count 2000, a 128 MiB memory cgroup): skips, no
# failures.
limits: deps all
	@harness/campaigns/limits --build "$$BUILD"

# The built suite alone, runnable anywhere kyua is: DESTDIR/Kyuafile,
# tests/, harness/envprobe, semantics.tsv (harness/lib/stage).
stage: all
	@[ -n "$$DESTDIR" ] || { echo "make stage: DESTDIR= is required" >&2; exit 2; }
	@harness/lib/stage "$$BUILD" "$$DESTDIR"

# The suite installed as FreeBSD installs its tests (harness/lib/install):
# PREFIX/tests/mmapconf/ (kyua tests tree), PREFIX/bin/mmapconf, the harness
# that runs it in PREFIX/lib/mmapconf/.  DESTDIR: a staging root.
# TESTSDIR: where the tests tree goes (the Debian package: /usr/libexec/
# mmapconf/tests, as the FHS wants).
PREFIX ?= /usr
TESTSDIR ?= $(PREFIX)/tests/mmapconf
export PREFIX TESTSDIR
install: all
	@harness/lib/install "$$BUILD" "$$DESTDIR" "$$PREFIX" "$$TESTSDIR"

# The Debian package (debian/, harness/lib/deb): $(BUILD)/deb/mmapconf_*.deb,
# checked with lintian.
deb: deps
	@harness/lib/deb "$$BUILD"

# The container image (harness/lib/image): Debian 12 minbase + the package,
# imported with podman as mmapconf:<version>; podman run --rm -v DIR:/reports
# mmapconf writes a run folder.
image: deps
	@harness/lib/image "$$BUILD"

clean:
	rm -rf build build-cov

FORCE:

.PHONY: FORCE all stage install deb image deps check recheck coverage selftest bench matrix mutants kernel-coverage lava-run lava-submit lava-server-check stress limits clean
